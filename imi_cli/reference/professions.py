"""The sectoral professions of Directive 2005/36/EC, named in every IMI language.

A request gives the person's profession either as one of these codes, which each side reads
in its own language, or as free text, which is shown as it was written."""

from __future__ import annotations

from functools import lru_cache

from imi_cli.reference.languages import pick


@lru_cache(maxsize=1)
def names() -> dict[str, dict[str, str]]:
    """{code: {language: name}} of every profession shipped with the package."""
    from importlib import resources

    from imi_cli.bulk.yaml_loader import load

    text = resources.files("imi_cli.reference.data").joinpath("professions.yaml").read_text(encoding="utf-8")
    return load(text, "professions.yaml")


def shown(value: str, lang: str) -> str:
    """A profession as the viewer reads it: a known code in ``lang``, anything else as given."""
    known = names().get(value.strip().lower())
    return pick(known, lang)[0] if known else value
