"""Notifications, as a Python user or a command drives them: each step a signed event,
checked here by the protocol's rules before it is queued and again by the hub."""

from __future__ import annotations

from typing import Any

from imi_cli.directory.acting import acting, authored
from imi_cli.errors import InvalidInput, NotFound, UsageError
from imi_cli.exchanges.notifications.projection import load
from imi_cli.i18n import N_, _, t
from imi_cli.log.event import uuid7
from imi_cli.log.journal import append

HINT = N_("`imi notification list` shows the notifications you have")
# A draft is broadcast once: one sentence per state the notification is in instead
NOT_A_DRAFT = {
    "broadcast": N_("notification {id} is broadcast, not a draft; nothing was broadcast"),
    "withdrawn": N_("notification {id} is withdrawn, not a draft; nothing was broadcast"),
    "closed": N_("notification {id} is closed, not a draft; nothing was broadcast"),
}


class Notifications:
    def __init__(self, store: Any) -> None:
        self.store = store

    def _me(self, conn: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        return acting(self.store, conn)

    def _step(self, type_: str, ident: str, payload: dict[str, Any]) -> dict[str, Any]:
        with self.store.transaction() as conn:
            me = self._me(conn)
            if type_ != "notification.drafted" and load(conn, ident, whole=False) is None:
                raise NotFound(t("no notification {id!r} here", id=ident), hint=_(HINT))
            event = authored(conn, me, type_, f"notification/{ident}", payload)
            append(conn, [event])
        return event

    def get(self, ident: str) -> dict[str, Any]:
        with self.store.transaction() as conn:
            n = load(conn, ident)
        if n is None:
            raise NotFound(t("no notification {id!r} here", id=ident), hint=_(HINT))
        return n

    # -- the notifying authority ---------------------------------------------------------
    def new(self, *, kind: str, answers: dict[str, Any], lang: str) -> str:
        from imi_cli.exchanges.notifications.kinds import kinds
        from imi_cli.questionnaires.answers import validate_answers
        from imi_cli.questionnaires.registry import catalogs

        declared = kinds()
        if kind not in declared:
            raise UsageError(t("--kind {kind!r} is not a kind of notification ({kinds})", kind=kind,
                               kinds=", ".join(sorted(declared))))
        qset = catalogs().latest(kind)
        values = validate_answers(qset, answers, lang)
        with self.store.transaction() as conn:
            notifier = self._me(conn)[1]["id"]
        content = {"kind": kind, "qversion": str(qset.version), "area": qset.area, "notifier": notifier,
                   "answers": values, "lang": lang}
        ident = uuid7()
        self._step("notification.drafted", ident, {"notification": content})
        return ident

    def broadcast(self, ident: str) -> dict[str, Any]:
        n = self.get(ident)
        if n["state"] != "draft":
            template = NOT_A_DRAFT.get(n["state"])
            raise UsageError(t(template, id=ident) if template else
                             t("notification {id} is {state}, not a draft; nothing was broadcast", id=ident,
                               state=n["state"]))
        return self._step("notification.broadcast", ident, {"notification": n["record"]["content"]})

    def modify(self, ident: str, answers: dict[str, Any], lang: str) -> dict[str, Any]:
        from imi_cli.questionnaires.answers import validate_answers
        from imi_cli.questionnaires.registry import catalogs

        if not answers:
            raise UsageError(_("nothing to modify"), hint=_("give --answer QUESTION=VALUE"))
        n = self.get(ident)
        content = n["record"]["content"]
        merged = validate_answers(catalogs().get(content["kind"], content["qversion"]),
                                  {**content["answers"], **answers}, lang)
        return self._step("notification.modified", ident, {"answers": {k: merged[k] for k in answers if k in merged},
                                                            "lang": lang})

    def withdraw(self, ident: str, reason: str) -> dict[str, Any]:
        return self._step("notification.withdrawn", ident, {"reason": reason})

    # -- the Commission and the recipients ------------------------------------------------------
    def close(self, ident: str, decision: str, lang: str, text: str | None = None) -> dict[str, Any]:
        payload: dict[str, Any] = {"decision": decision, "lang": lang}
        if text:
            payload["text"] = text
        return self._step("notification.closed", ident, payload)

    def disseminate(self, ident: str, to: list[str]) -> dict[str, Any]:
        if not to:
            raise InvalidInput(_("--to names at least one authority"))
        return self._step("notification.disseminated", ident, {"to": sorted(set(to))})

    def comment(self, ident: str, text: str, lang: str) -> dict[str, Any]:
        if not text.strip():
            raise InvalidInput(_("a comment has some text"))
        return self._step("notification.commented", ident, {"text": text, "lang": lang})
