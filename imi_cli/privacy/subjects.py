"""A data subject's rights (Art. 18-19): find every exchange in this authority's reach that
names a person, and export it for the person.

The search reads the store's disclosures — every personal value it holds, blocked ones
included, as a data subject's request covers them — folded for case and diacritics ("Nagy
Béla" finds "NAGY Bela"). A name matches when each of its words is among the words of the
exchange's personal data; a date of birth or an id number must equal one of its values.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from imi_cli.directory.search import fold
from imi_cli.errors import UsageError
from imi_cli.i18n import N_, _, t
from imi_cli.log import clock
from imi_cli.log.disclosures import parse_disclosure

MAX_VALUE = 20_000  # an attachment's content is not searched for a name
_WORD = re.compile(r"\w+")
_KINDS = {"request": "requests", "alert": "alerts", "notification": "notifications"}
# the report's labels of what the person was sought by
QUERY_LABELS = {"name": N_("name"), "born": N_("born"), "id_number": N_("id number")}
# the heading of each exchange found, per kind: its id, state, area, and whether its data is held or blocked
FOUND_HEADINGS = {"request": N_("request {id} ({state}, {area}, {holding})"),
                  "alert": N_("alert {id} ({state}, {area}, {holding})"),
                  "notification": N_("notification {id} ({state}, {area}, {holding})")}


@dataclass
class Query:
    name: str | None = None
    born: str | None = None
    id_number: str | None = None

    def check(self) -> Query:
        if not (self.name or self.born or self.id_number):
            raise UsageError(_("say whom to look for: --name, and --born or --id-number to be sure"))
        if self.name is not None and not _WORD.findall(fold(self.name)):
            raise UsageError(_("--name: a name has at least one letter"))
        if self.born is not None:
            from imi_cli.exchanges.alerts.service import parse_date

            self.born = parse_date(self.born, "--born")
        return self

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in (("name", self.name), ("born", self.born), ("id_number", self.id_number)) if v}


@dataclass
class _Found:
    words: set[str] = field(default_factory=set)
    values: set[str] = field(default_factory=set)
    blocked: bool = False


def _id(value: str) -> str:
    return re.sub(r"[\s./-]", "", fold(value))


def search(conn: Any, query: Query) -> list[dict[str, Any]]:
    """The exchanges whose personal data names the person: [{entity, kind, id, state, area,
    blocked}], in the order of their ids."""
    held: dict[str, _Found] = {}
    rows = conn.execute("SELECT entity, disclosure, blocked_at FROM disclosures WHERE disclosure IS NOT NULL "
                        "AND length(disclosure) < ? AND (entity LIKE 'request/%' OR entity LIKE 'alert/%' "
                        "OR entity LIKE 'notification/%')", (MAX_VALUE,))
    for entity, text, blocked_at in rows:
        try:
            _salt, _key, value = parse_disclosure(text)
        except Exception:  # not a disclosure this program wrote: it names nobody
            continue
        found = held.setdefault(entity, _Found())
        found.blocked |= blocked_at is not None
        for item in _texts(value):
            folded = fold(item)
            found.words.update(_WORD.findall(folded))
            found.values.update({folded.strip(), _id(item)})
    wanted = _WORD.findall(fold(query.name)) if query.name else []
    out = []
    for entity, found in sorted(held.items()):
        if wanted and not set(wanted) <= found.words:
            continue
        if query.born and query.born not in found.values:
            continue
        if query.id_number and _id(query.id_number) not in found.values:
            continue
        out.append(_described(conn, entity, found.blocked))
    return out


def _texts(value: Any) -> list[str]:
    """The texts of a personal value: a string or number, a free-text answer tagged with its
    language ({"lang": ..., "text": ...}: an alert's or notification's answers), or a list of them."""
    if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        return [str(value)]
    if isinstance(value, list):
        return [text for item in value for text in _texts(item)]
    if isinstance(value, dict):
        return [text for key, item in value.items() if key not in ("lang", "content_b64") for text in _texts(item)]
    return []


def _described(conn: Any, entity: str, blocked: bool) -> dict[str, Any]:
    kind, _slash, ident = entity.partition("/")
    row = conn.execute(f"SELECT state, area FROM {_KINDS[kind]} WHERE id = ?", (ident,)).fetchone()
    return {"entity": entity, "kind": kind, "id": ident, "state": row[0] if row else None,
            "area": row[1] if row else None, "blocked": blocked}


def views(store: Any, found: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """Each exchange found, whole, in ``lang`` (blocked ones read for the data subject)."""
    from imi_cli.privacy.blocking import unsealed_view

    def build(conn: Any) -> list[dict[str, Any]]:
        return [{**item, "view": _view(store, item, lang)} for item in found]

    return unsealed_view(store, [f["entity"] for f in found if f["blocked"]], build)


def _view(store: Any, item: dict[str, Any], lang: str) -> dict[str, Any] | None:
    if item["kind"] == "request":
        from imi_cli.exchanges.requests.render import request_view
        from imi_cli.exchanges.requests.service import Requests

        requests = Requests(store)
        return request_view(requests.get(item["id"]), requests.history(item["id"]), lang)
    if item["kind"] == "alert":
        from imi_cli.exchanges.alerts.projection import load
        from imi_cli.exchanges.alerts.render import alert_view

        alert = load(store.conn, item["id"])
        return alert_view(alert, lang, store.meta("authority_id")) if alert else None
    from imi_cli.exchanges.notifications.projection import load as load_notification

    notification = load_notification(store.conn, item["id"])
    return {"id": item["id"], "record": notification["record"]} if notification else None


def report(query: Query, logged: dict[str, Any], found: list[dict[str, Any]]) -> dict[str, Any]:
    """The export for the data subject: whom, when asked, by when to answer, and what was found."""
    at = logged["at"] if logged else clock.iso(clock.now())
    due = (clock.parse_instant(at) + timedelta(days=30)).date().isoformat()
    return {"subject": query.as_dict(), "logged_at": at, "due": due,
            "logged_as": logged["id"] if logged else None, "found": found}


def as_markdown(data: dict[str, Any], lang: str) -> str:
    """The report as a person reads it, in the interface language, the exchanges in ``lang``;
    days and moments as the language writes them."""
    from imi_cli.exchanges.alerts.render import as_text as alert_text
    from imi_cli.exchanges.requests.render import as_markdown as request_markdown
    from imi_cli.i18n import formats
    from imi_cli.privacy.clock import STATE_LABELS
    from imi_cli.safe_text import safe_text as safe

    def value(key: str, text: str) -> str:
        return formats.date(text) if key == "born" else text

    # Translators: one thing the person was sought by in the report's heading, e.g. "born: 12 Apr 1980"
    who = ", ".join(t("{label}: {value}", label=_(QUERY_LABELS[k]) if k in QUERY_LABELS else k,
                      value=safe(value(k, v))) for k, v in data["subject"].items())
    lines = ["# " + t("Personal data held about {who}", who=who), "",
             "- " + t("Request logged: {at}", at=safe(formats.datetime(data["logged_at"]))),
             "- " + t("Answer due by: {day}", day=safe(formats.date(data["due"]))),
             "- " + t("Exchanges found: {count}", count=formats.number(len(data["found"]))), ""]
    for item in data["found"]:
        holding = _(STATE_LABELS["blocked" if item["blocked"] else "held"])
        heading = FOUND_HEADINGS.get(item["kind"])
        fields = {"id": safe(item["id"]), "state": safe(state_label(item["kind"], item["state"])),
                  "area": safe(item["area"]), "holding": holding}
        lines += ["## " + (t(heading, **fields) if heading else f"{safe(item['kind'])} {fields['id']}"), ""]
        view = item.get("view")
        if item["kind"] == "request" and view:
            lines += ["##" + line if line.startswith("#") else line for line in request_markdown(view).splitlines()]
            lines.append("")
        elif item["kind"] == "alert" and view:
            lines += ["```", alert_text(view).rstrip("\n"), "```", ""]
        elif view:
            lines += ["```json", json.dumps(view, ensure_ascii=False, indent=2, sort_keys=True), "```", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def area_label(area: str, lang: str) -> str:
    """A legislative area's name in ``lang`` (an unknown id: the id)."""
    from imi_cli.reference.areas import area_ids, get_area

    return get_area(area).name(lang) if area in area_ids() else area


def state_label(kind: str, state: str) -> str:
    """An exchange's state in the interface language (each kind has its own words)."""
    from imi_cli.exchanges.alerts.labels import state_label as alert_state
    from imi_cli.exchanges.notifications.labels import state_label as notification_state
    from imi_cli.exchanges.requests.labels import state_label as request_state

    label = {"request": request_state, "alert": alert_state, "notification": notification_state}.get(kind)
    return label(state) if label else state
