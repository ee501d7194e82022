"""After the hub rejects an event: what to run, and sending the same change again.

A rejected event stays in the store's log (status ``rejected``, left out of the projections)
with its outbox row: it is the draft of what its author meant. When the hub refused it as
``stale`` (someone else changed the record first; the refusal names who), the author looks at
the record as it is now and may send the same change again: ``resend`` makes a new event of
the same type and payload about the same record, on the version this store now holds, checked
by the rules as any new event, and queues it. The rejected row becomes ``resent``.
"""

from __future__ import annotations

import json
from typing import Any

from imi_cli.errors import NotFound, UsageError
from imi_cli.i18n import t

# entity kind -> the command that shows such a record (its id appended)
SHOW = {"request": "imi request show", "alert": "imi alert show", "notification": "imi notification show",
        "authority": "imi authority show", "user": "imi user show", "licence": "imi cit show",
        "register": "imi registers show"}
RESENT = "resent"  # the outbox state of a rejected event whose change was sent again
_SHOWN_AT_MOST = 20


def show_command(entity: Any) -> str | None:
    """`imi request show ID` for ``request/ID``; None for a kind no command shows."""
    if not isinstance(entity, str):
        return None
    kind, _, ident = entity.partition("/")
    return f"{SHOW[kind]} {ident}" if kind in SHOW and ident and "/" not in ident else None


def next_step(event_id: str, reason: Any, entity: Any) -> str | None:
    """What the author of a rejected event can run now, in the interface language; None when
    sending it again cannot help (only a stale event is a change that lost a race)."""
    if reason != "stale":
        return None
    show = show_command(entity)
    if show is None:
        return t("`imi outbox --resend {event}` sends your change again, on the version this store now holds",
                 event=event_id)
    return t("see what changed with `{show}`; `imi outbox --resend {event}` sends your change again on top of it",
             show=show, event=event_id)


# event types whose payload is a whole directory record, not a change
WHOLE_RECORD = frozenset({"authority.updated", "user.updated"})


def outbox_id(conn: Any, given: str) -> str:
    """The outbox event id that ``given`` is or starts (at least 4 characters)."""
    given = given.strip().lower()
    if conn.execute("SELECT 1 FROM outbox WHERE event_id = ?", (given,)).fetchone():
        return given
    found = [] if len(given) < 4 else [row[0] for row in conn.execute(
        "SELECT event_id FROM outbox WHERE event_id >= ? AND event_id < ? ORDER BY event_id LIMIT ?",
        (given, given + "\uffff", _SHOWN_AT_MOST + 1))]
    if not found:
        raise NotFound(t("no event {id!r} in this store's outbox", id=given),
                       hint=t("`imi outbox --state rejected` lists the events the hub rejected"))
    if len(found) > 1:
        raise UsageError(t("{prefix!r} starts more than one event id: {ids}", prefix=given,
                           ids=", ".join(found[:_SHOWN_AT_MOST])),
                         hint=t("give more of the id (`imi outbox --json` shows each whole)"))
    return str(found[0])


def resend(store: Any, given: str) -> dict[str, Any]:
    """Send the change of the rejected event ``given`` (an id or a prefix of one) again, on the
    current version of its record: a new event, checked and queued; the old row becomes
    ``resent``. Refused (nothing changed) if the event is not rejected, if this store has not
    pulled the change that beat it yet, or if the rules refuse the change now."""
    from imi_cli.log import clock, redaction
    from imi_cli.log.event import make_event
    from imi_cli.log.journal import append, entity_version
    from imi_cli.protocol.pipeline import audience_of
    from imi_cli.protocol.view import RulesView

    with store.transaction() as conn:
        event_id = outbox_id(conn, given)
        state, params, body = conn.execute(
            "SELECT o.state, o.params, e.body FROM outbox o JOIN events e ON e.id = o.event_id "
            "WHERE o.event_id = ?", (event_id,)).fetchone()
        if state != "rejected":
            raise UsageError(t("event {id} is {state}: only an event the hub rejected is sent again", id=event_id,
                               state=state), hint=t("`imi outbox --state rejected` lists those"))
        old = redaction.stored_revealed(conn, [json.loads(body)])[0]
        entity = old["subject"]["entity"]
        from imi_cli.sync.session import stored_params

        changed = stored_params(params).get("changed")
        if isinstance(changed, int) and entity_version(conn, entity) < changed:
            raise UsageError(t("this store has not pulled the change that made {id} stale yet; nothing was queued",
                               id=event_id), hint=t("run `imi sync`, then resend"))
        if old["type"] in WHOLE_RECORD:  # its payload is the whole record: sent again it would undo the change
            ident = entity.split("/", 1)[-1]  # that won; the update command changes only what it is given
            hint = (t("`imi user update {id}` changes only what you give (--name, --email, --roles, --add-role, "
                      "--remove-role)", id=ident) if old["type"] == "user.updated" else
                    t("`imi authority update {id}` changes only what you give (--name xx=..., --phone, --areas...)",
                      id=ident))
            raise UsageError(t("{id} is registered already; nothing was changed", id=ident), hint=hint)
        event = make_event(old["type"], actor={"user": store.meta("user_id"), "authority": store.meta("authority_id")},
                           payload=old["payload"], subject={"entity": entity})
        event["audience"] = audience_of(RulesView(conn, at_hub=False), event)
        append(conn, [event])  # the rules run on it as on any new event: a refusal changes nothing
        conn.execute("UPDATE outbox SET state = ?, updated_at = ? WHERE event_id = ?",
                     (RESENT, clock.iso(clock.now()), event_id))
    return {"id": event["id"], "resent": event_id, "type": event["type"], "entity": entity,
            "version": event["subject"]["version"]}
