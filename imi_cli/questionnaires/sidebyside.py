"""A question set in two languages, side by side: what requester and responder each read."""

from __future__ import annotations

import textwrap
from itertools import zip_longest

PREFERRED = ("pq-verify-qualification", "services-verify-provider")


def _lines(question: dict, number: int, width: int) -> list[str]:
    lines = textwrap.wrap(f"{number}. {question['text']}", width) or [""]
    for option in question.get("options", []):
        lines += textwrap.wrap(f"   ( ) {option['label']}", width)
    return lines


def side_by_side(left: str, right: str, *, questions: int = 4, width: int = 48) -> tuple[str, str | None]:
    """The first ``questions`` questions of a shipped set in two languages; ("", None) if none ship."""
    from imi_cli.questionnaires.catalog import shipped_sets
    from imi_cli.questionnaires.render import set_view

    sets = {s.id: s for s in shipped_sets()}
    chosen = next((sets[i] for i in PREFERRED if i in sets), next(iter(sets.values()), None))
    if chosen is None:
        return "", None
    views = [set_view(chosen, lang) for lang in (left, right)]
    titles = (textwrap.wrap(v["title"], width) for v in views)
    rows = [f"{x:<{width}} | {y}" for x, y in zip_longest(*titles, fillvalue="")]
    rows.append(f"{'-' * width}-+-{'-' * width}")
    for number, pair in enumerate(zip(*(v["questions"][:questions] for v in views), strict=True), 1):
        a, b = (_lines(q, number, width) for q in pair)
        rows += [f"{x:<{width}} | {y}" for x, y in zip_longest(a, b, fillvalue="")]
        rows.append("")
    return "\n".join("     " + row for row in rows).rstrip() + "\n", chosen.id
