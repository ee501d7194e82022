"""Who acts in a store: its enrolled user and that user's authority, as the store's directory
knows them; and a new event of theirs with the audience its type gives it. Every service of
the exchanges and repositories authors its events through here."""

from __future__ import annotations

import json
from typing import Any

from imi_cli.errors import UsageError
from imi_cli.i18n import _


def acting(store: Any, conn: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(user record, authority record) of the store's user; UsageError saying what to do if the
    store is not enrolled or has not synced its directory yet."""
    user_id, authority_id = store.meta("user_id"), store.meta("authority_id")
    if not authority_id:
        raise UsageError(msgid="no_authority_yet",
                         hint=_("enrol with `imi init --hub URL` (it asks for your invitation code)"))
    user = conn.execute("SELECT record FROM users WHERE id = ?", (user_id,)).fetchone()
    authority = conn.execute("SELECT record FROM authorities WHERE id = ?", (authority_id,)).fetchone()
    if user is None or authority is None:
        raise UsageError(_("your user is not in this store's directory yet"), hint=_("run `imi sync`"))
    return json.loads(user[0]), json.loads(authority[0])


def authored(conn: Any, me: tuple[dict[str, Any], dict[str, Any]], type_: str, entity: str,
             payload: dict[str, Any]) -> dict[str, Any]:
    """A new event of ``me`` about ``entity``, its audience the terms its type gives it."""
    from imi_cli.log.event import make_event
    from imi_cli.protocol.pipeline import audience_of
    from imi_cli.protocol.view import RulesView

    user, authority = me
    event = make_event(type_, actor={"user": user["id"], "authority": authority["id"]}, payload=payload,
                       subject={"entity": entity})
    event["audience"] = audience_of(RulesView(conn, at_hub=False), event)
    return event
