"""A list written in one text (a CSV cell, an option): items between ';' or ','.

Both separate, so a list needs no quoting whatever a spreadsheet puts between cells: in a
';'-separated file (Excel in Hungary, Germany, France, Poland) write hu,en; in a
','-separated one hu;en; on the command line either, with no shell quoting.
"""

from __future__ import annotations

import re

SEPARATORS = re.compile(r"[;,]")


def split_items(text: str) -> list[str]:
    """The items of ``text``, stripped, empty ones left out."""
    return [item.strip() for item in SEPARATORS.split(text) if item.strip()]
