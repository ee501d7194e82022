"""Licences, as a licensing officer (or a script) drives them: each change a signed event,
checked by the protocol's rules here first and again by the hub."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from imi_cli.directory.acting import acting, authored
from imi_cli.directory.authorities import nothing_imported
from imi_cli.errors import InvalidInput, NotFound, Problem, UsageError
from imi_cli.i18n import N_, _, t
from imi_cli.log import clock
from imi_cli.log.journal import append, check_own
from imi_cli.repositories.licences import rules
from imi_cli.repositories.licences.projection import load

if TYPE_CHECKING:
    from imi_cli.bulk.readers import FileReading

HINT = N_("`imi cit list` shows the licences this store holds")
COLUMNS = {"number": True, "company_name": True, "registration_number": True, "address": True,
           "valid_from": True, "valid_to": True, "national_licence": False, "cit_activity_24_months": False,
           "good_repute": True, "insurance": True, "staff_vehicles_procedures": True, "contact": False,
           "authority": False}
FLAGS = ("national_licence", "cit_activity_24_months", "good_repute", "insurance", "staff_vehicles_procedures")
CHANGEABLE = ("company", "valid_to", "conditions", "contact")


def parse_day(text: str, flag: str) -> str:
    from imi_cli.repositories.licences.rules import date

    day = date(text.strip())
    if day is None:
        raise UsageError(t("{option} {value!r} is not a date as YYYY-MM-DD (up to the year {year})", option=flag,
                           value=text, year=rules.LAST_YEAR))
    return day.isoformat()


class Licences:
    def __init__(self, store: Any) -> None:
        self.store = store

    def _me(self, conn: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        return acting(self.store, conn)

    def _event(self, conn: Any, type_: str, number: str, payload: dict[str, Any],
               me: tuple[dict[str, Any], dict[str, Any]] | None = None) -> dict[str, Any]:
        """``me``: the acting user and authority, when the caller read them already (an import)."""
        return authored(conn, me or self._me(conn), type_, f"licence/{number}", payload)

    def _step(self, type_: str, number: str, payload: dict[str, Any]) -> dict[str, Any]:
        with self.store.transaction() as conn:
            if type_ != "licence.issued" and load(conn, number) is None:
                raise NotFound(t("no licence {number!r} here", number=number), hint=_(HINT))
            event = self._event(conn, type_, number, payload)
            append(conn, [event])
        return event

    def get(self, number: str) -> dict[str, Any]:
        with self.store.transaction() as conn:
            licence = load(conn, number)
        if licence is None:
            raise NotFound(t("no licence {number!r} here", number=number), hint=_(HINT))
        return licence

    # -- the home state's licensing authority ----------------------------------------------
    def issue(self, licence: dict[str, Any]) -> dict[str, Any]:
        with self.store.transaction() as conn:
            authority = self._me(conn)[1]
        record = {"country": authority["country"], "authority": authority["id"], **licence}
        return self._step("licence.issued", record["number"], {"licence": record})

    def change(self, number: str, changes: dict[str, Any], reason: str) -> dict[str, Any]:
        return self._step("licence.changed", number, {**changes, "reason": reason})

    def notify_host(self, number: str, *, host: str, start: str, transport_types: list[str], staff: list[str],
                    weapons: str, notice_date: str | None = None, override_reason: str | None = None
                    ) -> dict[str, Any]:
        payload: dict[str, Any] = {"host": host, "notice_date": notice_date or clock.now().date().isoformat(),
                                   "start": start, "transport_types": transport_types,
                                   "staff": [{"name": s} for s in staff], "weapons": weapons}
        if override_reason:
            payload["override_reason"] = override_reason
        return self._step("licence.host_notified", number, payload)

    def suspend(self, number: str, *, start: str, end: str, reason: str, scope: str | None = None) -> dict[str, Any]:
        with self.store.transaction() as conn:
            country = scope or self._me(conn)[1]["country"]
        return self._step("licence.suspended", number, {"scope": country, "from": start, "to": end, "reason": reason})

    def resume(self, number: str, on: str | None = None) -> dict[str, Any]:
        with self.store.transaction() as conn:
            country = self._me(conn)[1]["country"]
        return self._step("licence.resumed", number, {"scope": country, "on": on or clock.now().date().isoformat()})

    def withdraw(self, number: str, reason: str, on: str | None = None) -> dict[str, Any]:
        return self._step("licence.withdrawn", number, {"on": on or clock.now().date().isoformat(), "reason": reason})

    def ban(self, number: str, until: str, reason: str) -> dict[str, Any]:
        return self._step("licence.banned", number, {"until": until, "reason": reason})

    def sanction(self, number: str, kind: str, reason: str, amount: float | None = None) -> dict[str, Any]:
        payload: dict[str, Any] = {"kind": kind, "reason": reason}
        if amount is not None:
            payload["amount_eur"] = amount
        return self._step("licence.sanctioned", number, payload)

    # -- bulk ---------------------------------------------------------------------------------
    def import_file(self, path: Path, fmt: str | None = None, *, dry_run: bool = False,
                    reading: FileReading | None = None) -> dict[str, Any]:
        """All or nothing, idempotent: a licence as it is already is skipped, one that differs
        is changed, a new one issued; every problem named by file:line before anything is written."""
        from imi_cli.bulk.readers import read_records

        rows = read_records(Path(path), fmt, columns=COLUMNS, list_key="licences", reading=reading)
        problems: list[Problem] = []
        records = [(where, r) for where, raw in rows if (r := _record(where, raw, problems)) is not None]
        seen: dict[str, str] = {}
        for where, r in records:
            if r["number"] in seen:
                problems.append(Problem(where, "number", t("duplicate number {number!r} (first at {first})",
                                                           number=r["number"], first=seen[r["number"]])))
            seen.setdefault(r["number"], where)
        if problems:
            raise InvalidInput(nothing_imported(str(path), len(problems)), problems=problems)
        report = {"issued": 0, "changed": 0, "unchanged": 0, "dry_run": dry_run}
        with self.store.transaction() as conn:
            me = self._me(conn)
            authority = me[1]
            events: list[dict[str, Any]] = []
            places: list[str] = []
            fixed: list[Problem] = []
            for at, r in records:
                if "authority" not in r and authority.get("kind") != "authority":
                    fixed.append(Problem(at, "authority", _("a coordinator's import names the licensing authority "
                                                            "of each licence (the authority column)")))
                    continue
                full = {"country": authority["country"], "authority": r.pop("authority", None) or authority["id"], **r}
                existing = load(conn, r["number"])
                if existing is not None:  # what a change cannot change: say so rather than skip it
                    current = existing["record"]["licence"]
                    # Translators: {field} is a field's name as in the file (valid_from, authority, country)
                    fixed += [Problem(at, k, t("licence {number} has {field} {value!r}; it cannot change (withdraw "
                                               "it and issue a new one)", number=r["number"], field=k,
                                               value=current[k]))
                              for k in ("valid_from", "authority", "country") if full[k] != current[k]]
                if existing is None:
                    events.append(self._event(conn, "licence.issued", r["number"], {"licence": full}, me))
                    report["issued"] += 1
                else:
                    current = existing["record"]["licence"]
                    changes = {k: full[k] for k in CHANGEABLE
                               if k in full and _same(k, full[k]) != _same(k, current.get(k))}
                    if not changes:
                        report["unchanged"] += 1
                        continue
                    events.append(self._event(conn, "licence.changed", r["number"], {**changes, "reason": "import"},
                                              me))
                    report["changed"] += 1
                places.append(at)
            if fixed:
                raise InvalidInput(nothing_imported(str(path), len(fixed)), problems=fixed)
            if events:
                check_own(conn, events, places)
                if not dry_run:
                    append(conn, events, checked=True)
        return report


def _same(key: str, value: Any) -> Any:
    """A field as compared on import: a condition given as "no" is one not given (an export
    writes every condition; a licence issued with some holds only those)."""
    if key == "conditions" and isinstance(value, dict):
        return {k: bool(value.get(k)) for k in FLAGS}
    return value


def _record(where: str, raw: Any, problems: list[Problem]) -> dict[str, Any] | None:
    """A row (CSV, YAML or JSON) as a licence without its state and authority; problems named."""
    if not isinstance(raw, dict):
        problems.append(Problem(where, None, _("a record must be a mapping of fields")))
        return None
    before = len(problems)
    flat = dict(raw)
    company = flat.pop("company", None)
    if isinstance(company, dict):  # YAML/JSON may nest the company and the conditions
        flat.update({{"name": "company_name"}.get(k, k): v for k, v in company.items()})
    conditions = flat.pop("conditions", None)
    if isinstance(conditions, dict):
        flat.update(conditions)
    for key in sorted(set(flat) - set(COLUMNS)):
        problems.append(Problem(where, key, _("unknown field")))
    text = {k: str(flat[k]).strip() for k in ("number", "company_name", "registration_number", "address",
                                              "contact", "authority") if flat.get(k) not in (None, "")}
    for k in ("number", "company_name", "registration_number", "address"):
        if k not in text:
            problems.append(Problem(where, k, _("required")))
    days = {}
    for k in ("valid_from", "valid_to"):
        day = rules.date(str(flat.get(k, "")).strip())
        if day is None:
            problems.append(Problem(where, k, t("{value!r} is not a date as YYYY-MM-DD", value=flat.get(k))))
        else:
            days[k] = day.isoformat()
    flags = {}
    for k in FLAGS:
        value = flat.get(k)
        if value in (None, "") and not COLUMNS[k]:
            continue
        parsed = value if isinstance(value, bool) else {"yes": True, "true": True, "no": False, "false": False}.get(
            str(value).strip().lower())
        if parsed is None:
            problems.append(Problem(where, k, t("{value!r} is not yes or no", value=value)))
        else:
            flags[k] = parsed
    if len(problems) > before:
        return None
    out: dict[str, Any] = {"number": text["number"], "company": {"name": text["company_name"],
                           "registration_number": text["registration_number"], "address": text["address"]},
                           **days, "conditions": flags}
    for k in ("contact", "authority"):
        if k in text:
            out[k] = text[k]
    return out
