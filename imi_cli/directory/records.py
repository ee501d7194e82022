"""Directory records: an authority or a user as a file or a command gives it,
checked field by field and brought to one normal form.

Every check appends a Problem naming where it is (file:line or item) and the
field; nothing raises half-way, so an import reports all problems at once.
"""

from __future__ import annotations

import re
from typing import Any

from imi_cli.bulk.lists import split_items
from imi_cli.errors import Problem
from imi_cli.i18n import t
from imi_cli.reference.areas import area_ids
from imi_cli.reference.countries import normalize_participant
from imi_cli.reference.languages import is_language

KINDS = ("authority", "area_coordinator", "national_coordinator")
ROLES = ("administrator", "request_handler", "allocator", "alert_handler", "alert_coordinator",
         "notification_handler", "licensing_officer", "supervisor", "coordinator", "data_protection")
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
RESERVED_IDS = {"operator", "hub"}  # the hub signs as "operator"; "hub" is the hub-only audience
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")

AUTHORITY_FIELDS = {"id", "kind", "country", "names", "languages", "areas", "competences", "email", "phone",
                    "requires_approval", "deactivated",
                    "address", "website", "coordinator"}
USER_FIELDS = {"id", "name", "email", "authority", "roles"}


class Checker:
    """Collects problems for one record at one place in a file."""

    def __init__(self, where: str, problems: list[Problem]) -> None:
        self.where, self.problems = where, problems

    def fail(self, field: str | None, message: str) -> None:
        self.problems.append(Problem(self.where, field, message))

    def text(self, raw: dict[str, Any], field: str, *, required: bool = True) -> str | None:
        value = raw.get(field)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(field, t("is required"))
            return None
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            self.fail(field, t("must be text"))
            return None
        return str(value).strip()

    def text_list(self, raw: dict[str, Any], field: str) -> list[str]:
        value = raw.get(field)
        if value is None or value == "":
            return []
        if isinstance(value, str):
            return split_items(value)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return [v.strip() for v in value if v.strip()]
        self.fail(field, t("must be a list of texts (or text with ';' or ',' between items)"))
        return []


def is_duplicate(raw: dict[str, Any], where: str, first_seen: dict[str, str],
                 problems: list[Problem]) -> bool:
    """Report a record whose id an earlier record of the same file has, valid or not."""
    ident = raw.get("id")
    if not isinstance(ident, (str, int)) or isinstance(ident, bool) or not str(ident).strip():
        return False
    ident = str(ident).strip()
    if ident in first_seen:
        problems.append(Problem(where, "id", t("duplicate id {id!r} (first at {first})", id=ident,
                                               first=first_seen[ident])))
        return True
    first_seen[ident] = where
    return False


def _fields_and_id(c: Checker, raw: dict[str, Any], known: set[str]) -> str | None:
    """Unknown fields are problems; the id is required and of the id syntax."""
    for field in sorted(set(raw) - known):
        c.fail(field, t("unknown field"))
    ident = c.text(raw, "id")
    if ident and not ID_RE.match(ident):
        c.fail("id", id_problem(ident))
    elif ident and ident.lower() in RESERVED_IDS:
        c.fail("id", t("{id!r} is reserved for the hub", id=ident))
    return ident


def id_problem(ident: str) -> str:
    """Why ``ident`` is not an id. Ids stay ASCII: they travel in events, URLs and file names,
    and an id typed on another keyboard must be the same id."""
    bad = next((ch for ch in ident if not (ch.isascii() and (ch.isalnum() or ch in "._-"))), None)
    if bad is not None:
        return t("{id!r} is not a valid id: {char!r} is not allowed (an id is ASCII letters without accents, "
                 "digits, '.', '_' and '-')", id=ident, char=bad)
    return t("{id!r} is not a valid id (ASCII letters, digits, '.', '_' and '-'; it starts with a letter or a digit; "
             "at most 64 characters)", id=ident)


def check_authority(raw: dict[str, Any], where: str, problems: list[Problem]) -> dict[str, Any] | None:
    """The normal form of an authority record, or None if it has problems (added to ``problems``)."""
    c = Checker(where, problems)
    before = len(problems)
    ident = _fields_and_id(c, raw, AUTHORITY_FIELDS)
    kind = c.text(raw, "kind", required=False) or "authority"
    if kind not in KINDS:
        c.fail("kind", t("{kind!r} is not one of {kinds}", kind=kind, kinds=", ".join(KINDS)))
    country = _country(c, raw)
    languages = _languages(c, raw)
    names = _names(c, raw, reported=[code for code in languages if not is_language(code)])
    areas = _areas(c, raw)
    email = _email(c, raw, required=True)
    if len(problems) > before:
        return None
    # Mappings in key order: the event log stores canonical (sorted) JSON, and a replay
    # of the log must build exactly what the live import built.
    record: dict[str, Any] = {"id": ident, "kind": kind, "country": country, "names": dict(sorted(names.items())),
              "languages": languages, "areas": dict(sorted(areas.items())), "email": email}
    if _flag(c, raw, "requires_approval"):  # requests need a supervisor's approval before sending
        record["requires_approval"] = True
    if _flag(c, raw, "deactivated"):  # out of searches, no new requests; its exchanges stay
        record["deactivated"] = True
    for field in ("phone", "address", "website", "coordinator"):
        value = c.text(raw, field, required=False)
        if value:
            record[field] = value
    return record


def _country(c: Checker, raw: dict[str, Any]) -> str | None:
    text = c.text(raw, "country")
    if text is None:
        return None
    code = normalize_participant(text)
    if code is None:
        c.fail("country", t("{country!r} is not an IMI country (EU-27, IS, LI, NO, EU for the Commission; codes like "
                            "HU)", country=text))
    return code


def _languages(c: Checker, raw: dict[str, Any]) -> list[str]:
    languages = [code.lower() for code in c.text_list(raw, "languages")]
    if not languages and "languages" in raw:
        c.fail("languages", t("needs at least one IMI language code"))
    elif "languages" not in raw:
        c.fail("languages", t("is required"))
    for code in languages:
        if not is_language(code):
            c.fail("languages", t("{code!r} is not an IMI language code", code=code))
    return list(dict.fromkeys(languages))


def _names(c: Checker, raw: dict[str, Any], reported: list[str]) -> dict[str, str]:
    """Names by language; a language already reported as unknown in `languages` (the CSV's
    `name` column is in the first of them) is not reported again."""
    names = raw.get("names")
    if not isinstance(names, dict) or not names:
        c.fail("name", t("is required (a name in at least one language)"))
        return {}
    out: dict[str, str] = {}
    for lang, name in names.items():
        field = f"name:{lang}"
        if not is_language(str(lang)):
            if str(lang).lower() not in reported:
                c.fail(field, t("{code!r} is not an IMI language code", code=lang))
        elif not isinstance(name, str) or not name.strip():
            c.fail(field, t("is empty"))
        else:
            out[str(lang)] = " ".join(name.split())
    return out


def _areas(c: Checker, raw: dict[str, Any]) -> dict[str, list[str]]:
    areas = raw.get("areas")
    known = area_ids()
    if isinstance(areas, dict):
        pairs = [(str(a), comps) for a, comps in areas.items()]
    else:
        pairs = [(a, []) for a in c.text_list(raw, "areas")]
    if not pairs:
        c.fail("areas", t("needs at least one legislative area"))
    out: dict[str, list[str]] = {}
    for area, comps in pairs:
        if area not in known:
            c.fail("areas", t("{area!r} is not a legislative area (see `imi area list`)", area=area))
            continue
        comps = c.text_list({"competences": comps}, "competences") if comps else []
        out[area] = comps
    for item in c.text_list(raw, "competences"):
        area, sep, keyword = item.partition(":")
        if not sep:  # a plain keyword: a competence in every area of the authority
            for comps in out.values():
                comps.append(item)
        elif area not in known:
            c.fail("competences", t("{item!r}: {area!r} is not a legislative area", item=item, area=area))
        elif area not in out:
            c.fail("competences", t("{item!r}: the authority is not registered in area {area!r}", item=item,
                                    area=area))
        else:
            out[area].append(keyword.strip())
    return {area: list(dict.fromkeys(comps)) for area, comps in out.items()}


def _email(c: Checker, raw: dict[str, Any], *, required: bool) -> str | None:
    email = c.text(raw, "email", required=required)
    if email and not EMAIL_RE.match(email):
        c.fail("email", t("is not a valid e-mail address"))
        return None
    return email.lower() if email else None


def check_user(raw: dict[str, Any], where: str, problems: list[Problem]) -> dict[str, Any] | None:
    c = Checker(where, problems)
    before = len(problems)
    ident = _fields_and_id(c, raw, USER_FIELDS)
    name = c.text(raw, "name")
    email = _email(c, raw, required=True)
    authority = c.text(raw, "authority")
    roles = _roles(c, raw)
    if len(problems) > before:
        return None
    return {"id": ident, "name": " ".join((name or "").split()), "email": email,
            "authority": authority, "roles": dict(sorted(roles.items()))}


def _roles(c: Checker, raw: dict[str, Any]) -> dict[str, list[str]]:
    """Roles per area: ``area:role`` items, or a bare ``role`` for every area of the authority ("*")."""
    value = raw.get("roles")
    items: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for area, roles in value.items():
            items += [(str(area), role) for role in c.text_list({"r": roles}, "r")]
    else:
        for item in c.text_list(raw, "roles"):
            area, sep, role = item.rpartition(":")
            items.append((area if sep else "*", role))
    if not items:
        c.fail("roles", t("needs at least one role"))
    out: dict[str, list[str]] = {}
    for area, role in items:
        if area != "*" and area not in area_ids():
            c.fail("roles", t("{area!r} is not a legislative area", area=area))
        elif role not in ROLES:
            c.fail("roles", t("{role!r} is not a role ({roles})", role=role, roles=", ".join(ROLES)))
        else:
            out.setdefault(area, [])
            if role not in out[area]:
                out[area].append(role)
    return out


def _flag(c: Checker, raw: dict[str, Any], field: str) -> bool:
    value = raw.get(field)
    if value is None or value == "" or isinstance(value, bool):
        return bool(value)
    text = str(value).strip().lower()
    if text in ("true", "yes", "1"):
        return True
    if text not in ("false", "no", "0"):
        c.fail(field, t("{value!r} is not true or false", value=value))
    return False
