"""Full-text search over authority names and competences (FTS5, folded for case and
diacritics, prefix matching, ranked by bm25), combined with directory filters."""

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


def _term(word: str) -> str:
    """A quoted prefix term (user text can never be FTS syntax); also its folded form."""
    folded = fold(word)
    if folded == word.casefold():
        return f'"{word}"*'
    return f'("{word}"* OR "{folded}"*)'


def match_expression(text: str | None, competence: str | None) -> str | None:
    """Every word required, each a prefix; competence words only in competences."""
    terms = [_term(word) for word in _WORD.findall(text or "")]
    terms += [f"competences : {_term(word)}" for word in _WORD.findall(competence or "")]
    return " AND ".join(terms) or None


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


def search_ids(conn: Any, text: str | None, *, country: str | None = None, area: str | None = None,
               competence: str | None = None, language: str | None = None,
               limit: int = 20, deactivated: bool = False) -> list[tuple[str, float]]:
    """Ids and scores (lower is better) of the best matches; filters run inside the index.
    A deactivated authority is left out unless ``deactivated``."""
    country = _check_filters(country, area, language)
    terms = [match_expression(text, competence)]
    terms += [f'filters : "{filter_token(kind, value)}"' for kind, value in
              (("country", country), ("area", area), ("lang", language)) if value]
    match = " AND ".join(t for t in terms if t)
    if not match:
        where = "" if deactivated else "WHERE json_extract(record, '$.deactivated') IS NULL "
        return conn.execute(f"SELECT id, 0.0 FROM authorities {where}ORDER BY id LIMIT ?", (limit,)).fetchall()
    if not deactivated:
        match = f'({match}) NOT filters : "{DEACTIVATED}"'
    order = "f.rank, a.id" if text or competence else "a.id"
    inner = "ORDER BY rank LIMIT ?" if text or competence else ""
    sql = (f"SELECT a.id, f.rank FROM (SELECT rowid, rank FROM authority_fts WHERE authority_fts MATCH ? {inner}) f "
           f"JOIN authorities a ON a.rowid = f.rowid ORDER BY {order} LIMIT ?")
    params = (match, limit, limit) if inner else (match, limit)
    return conn.execute(sql, params).fetchall()
