"""Messages between two authorities: only the sender and the recipient ever receive them."""

from __future__ import annotations

from typing import Any

from imi_cli.errors import NotFound, UsageError
from imi_cli.i18n import t
from imi_cli.log.event import make_event, uuid7
from imi_cli.log.journal import append, local_actor
from imi_cli.reference.languages import is_language


def send(store: Any, to: str, subject: str, text: str, lang: str) -> str:
    actor = local_actor(store)
    if not actor["authority"]:
        raise UsageError(msgid="no_authority_yet",
                         hint=t("enrol with `imi init --hub URL` (it asks for your invitation code)"))
    if not store.query("SELECT 1 FROM authorities WHERE id = ?", (to,)):
        raise NotFound(t("no authority {id!r} in the directory", id=to), hint=t("`imi sync` brings the directory"))
    if not is_language(lang):
        raise UsageError(t("{code!r} is not an IMI language code", code=lang))
    ident = uuid7()
    event = make_event("message.sent", actor=actor, audience=[actor["authority"], to],
                       payload={"from": actor["authority"], "to": to, "subject": subject, "text": text, "lang": lang},
                       subject={"entity": f"message/{ident}"})
    with store.transaction() as conn:
        append(conn, [event])
    return ident


_KEYS = ("id", "from", "to", "author", "subject", "text", "lang", "at")
_COLUMNS = "id, from_authority, to_authority, author, subject, body, lang, at"


def inbox(store: Any) -> list[dict[str, Any]]:
    rows = store.query(f"SELECT {_COLUMNS} FROM messages ORDER BY at DESC")  # noqa: S608 -- constant columns
    return [dict(zip(_KEYS, row, strict=True)) for row in rows]


def get(store: Any, ident: str) -> dict[str, Any] | None:
    """One message as ``inbox`` lists it, or None."""
    rows = store.query(f"SELECT {_COLUMNS} FROM messages WHERE id = ?", (ident,))  # noqa: S608
    return dict(zip(_KEYS, rows[0], strict=True)) if rows else None


def project(conn: Any, event: dict[str, Any]) -> None:
    p = event["payload"]
    conn.execute("INSERT OR IGNORE INTO messages VALUES (?,?,?,?,?,?,?,?)",
                 (event["subject"]["entity"].split("/", 1)[1], p["from"], p["to"],
                  event["actor"]["user"], p["subject"], p["text"], p["lang"], event["at"]))
