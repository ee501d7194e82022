"""Full-text search over authority names and competences (FTS5, folded for case and
diacritics, prefix matching, ranked by bm25), combined with directory filters.

A query costs what its rarest part costs, never what its commonest does, so that a prefix of
one or two letters is as quick among 300,000 authorities as a rare word (``search_ids``).
bm25 must count every row that holds each of the query's terms, so it ranks only queries
whose every term is in at most ``RANKED`` rows (its order then is exactly bm25's); a query
with a commoner term (a short prefix, "Kammer") takes the first rows of the index in tiers:
its words whole in a name, then as prefixes in a name, then anywhere.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from imi_cli.errors import BadOptions, Problem
from imi_cli.i18n import _, t
from imi_cli.reference.areas import area_ids
from imi_cli.reference.countries import normalize_country
from imi_cli.reference.languages import is_language

_WORD = re.compile(r"\w+", re.UNICODE)


# Letters that Unicode does not decompose, so FTS5's remove_diacritics keeps them.
_LETTERS = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "Ae",
                          "œ": "oe", "Œ": "Oe", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th",
                          "đ": "d", "Đ": "D", "ħ": "h", "Ħ": "H", "ı": "i"})


# Combining marks (Latin, Greek, Cyrillic accents...), removed after NFKD in one C-level pass.
_MARKS = dict.fromkeys(c for c in range(0x300, 0x20FF) if unicodedata.combining(chr(c)))


def fold(text: str) -> str:
    """Text without case or diacritics in every IMI script ("Główny" -> "glowny",
    "Συμβάσεων" -> "συμβασεων"): what the search index holds beside the names."""
    if text.isascii():
        return text.lower()
    return unicodedata.normalize("NFKD", text.translate(_LETTERS)).translate(_MARKS).casefold()


def _term(word: str, *, whole: bool = False) -> str:
    """A quoted prefix term (user text can never be FTS syntax); also its folded form.
    ``whole``: the word itself, not a prefix."""
    star = "" if whole else "*"
    folded = fold(word)
    if folded == word.casefold():
        return f'"{word}"{star}'
    return f'("{word}"{star} OR "{folded}"{star})'


def match_expression(text: str | None, competence: str | None) -> str | None:
    """Every word required, each a prefix; competence words only in competences."""
    return " AND ".join(_terms(_WORD.findall(text or ""), _WORD.findall(competence or ""))) or None


def _terms(words: list[str], competences: list[str], *, column: str = "", whole: bool = False) -> list[str]:
    """One term per word (in ``column`` alone if given) and per competence word."""
    within = f"{column} : " if column else ""
    return ([f"{within}{_term(word, whole=whole)}" for word in words] +
            [f"competences : {_term(word)}" for word in competences])


def _check_filters(country: str | None, area: str | None, language: str | None) -> str | None:
    problems = []
    code = None
    if country is not None:
        code = normalize_country(country)
        if code is None:
            problems.append(Problem("--country", None, t("{country!r} is not an IMI country", country=country)))
    if area is not None and area not in area_ids():
        problems.append(Problem("--area", None, t("{area!r} is not a legislative area", area=area)))
    if language is not None and not is_language(language):
        problems.append(Problem("--language", None, t("{code!r} is not an IMI language code", code=language)))
    if problems:
        raise BadOptions(_("the search filters are not right"), problems=problems)
    return code


def filter_token(kind: str, value: str) -> str:
    return "zz" + kind + "".join(ch for ch in value.lower() if ch.isalnum())


DEACTIVATED = filter_token("state", "deactivated")  # the index's token of a deactivated authority


RANKED = 500  # bm25 ranks a query whose every term is in at most this many rows
SORTED = 200  # a listing by filters alone is sorted by id when it has at most this many rows


def search_ids(conn: Any, text: str | None, *, country: str | None = None, area: str | None = None,
               competence: str | None = None, language: str | None = None,
               limit: int = 20, deactivated: bool = False) -> list[tuple[str, float]]:
    """Ids and scores (lower is better) of the best matches; filters run inside the index.
    A deactivated authority is left out unless ``deactivated``."""
    country = _check_filters(country, area, language)
    words, competences = _WORD.findall(text or ""), _WORD.findall(competence or "")
    filters = [f'filters : "{filter_token(kind, value)}"' for kind, value in
               (("country", country), ("area", area), ("lang", language)) if value]
    terms = _terms(words, competences)
    if not terms and not filters:
        where = "" if deactivated else "WHERE json_extract(record, '$.deactivated') IS NULL "
        return conn.execute(f"SELECT id, 0.0 FROM authorities {where}ORDER BY id LIMIT ?", (limit,)).fetchall()
    match = _matching(terms + filters, deactivated)
    if not terms:
        return _listed(conn, match, limit)
    if all(len(_rowids(conn, term, RANKED + 1)) <= RANKED for term in terms):
        return _ranked(conn, " AND ".join(terms), match, limit)
    tiers = [_terms(words, competences, column="names", whole=True), _terms(words, competences, column="names")]
    return _tiered(conn, [_matching(tier + filters, deactivated) for tier in tiers if words] + [match], limit)


def _matching(terms: list[str], deactivated: bool) -> str:
    match = " AND ".join(terms)
    return match if deactivated else f'({match}) NOT filters : "{DEACTIVATED}"'


def _rowids(conn: Any, match: str, limit: int) -> list[int]:
    """The first rows that match, in the index's order (no ranking: it stops at ``limit``)."""
    return [rowid for (rowid,) in conn.execute(
        "SELECT rowid FROM authority_fts WHERE authority_fts MATCH ? LIMIT ?", (match, limit))]


def _ids(conn: Any, rowids: list[int]) -> dict[int, str]:
    from imi_cli.log.store import in_chunks

    return dict(in_chunks(conn, "SELECT rowid, id FROM authorities WHERE rowid IN ({})", rowids))


def _ranked(conn: Any, terms: str, match: str, limit: int) -> list[tuple[str, float]]:
    """bm25 by the words alone (the filters column weighs nothing), of at most RANKED rows; the
    rows that also pass the filters, in rank then id order."""
    passing = set(_rowids(conn, match, RANKED + 1)) if match != terms else None
    ranked = [(rowid, rank) for rowid, rank in conn.execute(
        "SELECT rowid, rank FROM authority_fts WHERE authority_fts MATCH ? ORDER BY rank", (terms,))
        if passing is None or rowid in passing]
    if len(ranked) > limit:  # the last rank taken in full: equal ranks go by id
        ranked = [(rowid, rank) for rowid, rank in ranked if rank <= ranked[limit - 1][1]]
    ids = _ids(conn, [rowid for rowid, _ in ranked])
    hits = [(ids[rowid], rank) for rowid, rank in ranked if rowid in ids]
    return sorted(hits, key=lambda hit: (hit[1], hit[0]))[:limit]


def _tiered(conn: Any, tiers: list[str], limit: int) -> list[tuple[str, float]]:
    """The first rows of each tier in turn, to ``limit``; a row's score is its tier."""
    taken: dict[int, float] = {}
    for score, match in enumerate(tiers):
        if len(taken) >= limit:
            break
        for rowid in _rowids(conn, match, limit + len(taken)):
            if len(taken) < limit:
                taken.setdefault(rowid, float(score))
    ids = _ids(conn, list(taken))
    return [(ids[rowid], score) for rowid, score in taken.items() if rowid in ids]


def _listed(conn: Any, match: str, limit: int) -> list[tuple[str, float]]:
    """By filters alone: in id order when at most SORTED rows pass; else the first of the
    index's order, shown in id order."""
    rowids = _rowids(conn, match, max(SORTED, limit) + 1)
    ids = _ids(conn, rowids if len(rowids) <= SORTED else rowids[:limit])
    return [(ident, 0.0) for ident in sorted(ids.values())[:limit]]
