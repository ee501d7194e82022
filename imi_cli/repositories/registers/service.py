"""The directory of registers: coordinators record their country's entries (one or a file,
all or nothing, idempotent); any registered authority searches it in any IMI language."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from imi_cli.directory.search import fold
from imi_cli.errors import InvalidInput, NotFound, Problem, UsageError
from imi_cli.i18n import _, nt, t
from imi_cli.log.event import make_event
from imi_cli.log.journal import append, check_own
from imi_cli.repositories.registers.projection import load

if TYPE_CHECKING:
    from imi_cli.bulk.readers import FileReading

COLUMNS = {"id": True, "country": True, "holder": True, "area": True, "covers": True, "access": True,
           "url": False, "fee": False, "terms": False, "languages": True, "legal_basis": False}
ACCESS = ("online", "on_request", "online_and_on_request")


class Registers:
    def __init__(self, store: Any) -> None:
        self.store = store

    def _actor(self) -> dict[str, Any]:
        user_id, authority_id = self.store.meta("user_id"), self.store.meta("authority_id")
        if not authority_id:
            raise UsageError(msgid="no_authority_yet",
                             hint=_("enrol with `imi init --hub URL` (it asks for your invitation code)"))
        return {"user": user_id, "authority": authority_id}

    def record_file(self, path: Path, fmt: str | None = None, *, dry_run: bool = False,
                    reading: FileReading | None = None) -> dict[str, int]:
        from imi_cli.bulk.readers import read_records

        rows = read_records(Path(path), fmt, columns=COLUMNS, list_key="registers", prefixes=("name:", "contents:"),
                            reading=reading)
        return self.record_rows(rows, source=str(path), dry_run=dry_run)

    def record_rows(self, rows: list[tuple[str, Any]], *, source: str = "input", dry_run: bool = False
                    ) -> dict[str, int]:
        problems: list[Problem] = []
        records = [(where, r) for where, raw in rows if (r := normal(where, raw, problems)) is not None]
        seen: dict[str, str] = {}
        for where, r in records:
            if r["id"] in seen:
                problems.append(Problem(where, "id", t("duplicate id {id!r} (first at {first})", id=r["id"],
                                                       first=seen[r["id"]])))
            seen.setdefault(r["id"], where)
        if problems:
            # Translators: {source} is a file (or the options of a command), {n} the number of problems found in it
            raise InvalidInput(nt("{source}: {n} problem; nothing was recorded",
                                  "{source}: {n} problems; nothing was recorded", len(problems), source=source),
                               problems=problems)
        from imi_cli.protocol.pipeline import audience_of
        from imi_cli.protocol.view import RulesView

        report = {"recorded": 0, "unchanged": 0, "dry_run": int(dry_run)}
        with self.store.transaction() as conn:
            events: list[dict[str, Any]] = []
            places: list[str] = []
            for at, r in records:
                if load(conn, r["id"]) == r:
                    report["unchanged"] += 1
                    continue
                event = make_event("register.recorded", actor=self._actor(), payload={"register": r},
                                   subject={"entity": f"register/{r['id']}"})
                event["audience"] = audience_of(RulesView(conn, at_hub=False), event)
                events.append(event)
                places.append(at)
            if events:
                check_own(conn, events, places)
                if not dry_run:
                    append(conn, events, checked=True)
            report["recorded"] = len(events)
        return report

    def get(self, ident: str) -> dict[str, Any]:
        with self.store.transaction() as conn:
            found = load(conn, ident)
        if found is None:
            raise NotFound(t("no register {id!r} here", id=ident), hint=_("`imi registers search` finds them"))
        return found


def normal(where: str, raw: Any, problems: list[Problem]) -> dict[str, Any] | None:
    """A register row (CSV with name:xx and contents:xx columns, lists separated by ';' or ','; or YAML/JSON)
    in its normal form; problems named by field."""
    from imi_cli.reference.areas import area_ids
    from imi_cli.reference.countries import normalize_country
    from imi_cli.reference.languages import is_language

    if not isinstance(raw, dict):
        problems.append(Problem(where, None, _("a record must be a mapping of fields")))
        return None
    before = len(problems)
    names = dict(raw.get("names") or {}) if isinstance(raw.get("names"), dict) else {}
    contents = dict(raw.get("contents") or {}) if isinstance(raw.get("contents"), dict) else {}
    for key, value in raw.items():
        if isinstance(key, str) and key.startswith("name:"):
            names[key[5:]] = value
        elif isinstance(key, str) and key.startswith("contents:"):
            contents[key[9:]] = value
        elif key not in COLUMNS and key not in ("names", "contents"):
            problems.append(Problem(where, str(key), _("unknown field")))
    text = {k: str(raw[k]).strip() for k in COLUMNS if isinstance(raw.get(k), (str, int)) and str(raw[k]).strip()}
    for k in ("id", "country", "holder", "area"):
        if k not in text:
            problems.append(Problem(where, k, _("required")))
    country = normalize_country(text.get("country", "")) if "country" in text else None
    if "country" in text and country is None:
        problems.append(Problem(where, "country", t("{country!r} is not an IMI country", country=text["country"])))
    if "area" in text and text["area"] not in area_ids():
        problems.append(Problem(where, "area", t("{area!r} is not a legislative area (see `imi area list`)",
                                                 area=text["area"])))
    covers = _list(raw.get("covers"))
    languages = [x.lower() for x in _list(raw.get("languages"))]
    if not covers:
        problems.append(Problem(where, "covers", _("the professions or activities it covers, separated by ';' or ','")))
    bad = [x for x in languages if not is_language(x)]
    if not languages or bad:
        problems.append(Problem(where, "languages", t("IMI language codes, separated by ';' or ',': not {codes}",
                                                      codes=", ".join(bad)) if bad
                                else _("IMI language codes, separated by ';' or ','")))
    names = {str(k).lower(): str(v).strip() for k, v in names.items() if str(v).strip()}
    if not names or any(not is_language(k) for k in names):
        problems.append(Problem(where, "names", _("a name in at least one IMI language (name:xx columns)")))
    given = raw.get("access")
    access: dict[str, Any] = dict(given) if isinstance(given, dict) else {"how": text.get("access")}
    for k in ("url", "fee", "terms"):
        if k in text:
            access[k] = text[k]
    if access.get("how") not in ACCESS:
        problems.append(Problem(where, "access", t("one of {choices}", choices=", ".join(ACCESS))))
    if len(problems) > before:
        return None
    out: dict[str, Any] = {"id": text["id"], "country": country, "holder": text["holder"], "area": text["area"],
                           "names": dict(sorted(names.items())), "covers": covers,
                           "access": {k: str(v) for k, v in access.items() if v}, "languages": languages}
    if contents:
        out["contents"] = {str(k).lower(): str(v) for k, v in sorted(contents.items())}
    if "legal_basis" in text:
        out["legal_basis"] = text["legal_basis"]
    return out


def _list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    if isinstance(value, str):
        from imi_cli.bulk.lists import split_items

        return split_items(value)
    return []


def search(conn: Any, words: str | None, *, country: str | None = None, area: str | None = None,
           lang: str = "en") -> list[dict[str, Any]]:
    """Registers whose names, coverage or contents hold every word (folded); a word that names
    a profession in any IMI language also finds the registers that cover it by its code."""
    from imi_cli.reference.languages import pick
    from imi_cli.reference.professions import names as profession_names
    from imi_cli.reference.professions import shown

    where, params = [], []
    for word in (fold(w) for w in (words or "").split() if w.strip()):
        codes = [code for code, spelled in profession_names().items()
                 if any(word in fold(n) for n in spelled.values())]
        alternatives = [word, *(fold(c) for c in codes)]
        where.append("(" + " OR ".join("instr(search_text, ?) > 0" for _ in alternatives) + ")")
        params += alternatives
    if country:
        where.append("country = ?")
        params.append(country.strip().upper())
    if area:
        where.append("area = ?")
        params.append(area)
    sql = "SELECT record FROM registers" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY country, id"
    out = []
    for (text,) in conn.execute(sql, params):
        r = json.loads(text)
        out.append({"id": r["id"], "country": r["country"], "name": pick(r["names"], lang)[0],
                    "holder": r["holder"], "area": r["area"],
                    "covers": "; ".join(shown(c, lang) for c in r["covers"]),
                    "access": r["access"].get("url") or r["access"]["how"]})
    return out
