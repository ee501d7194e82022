"""Alerts, as a Python user or a command drives them: each step is a signed event, checked
here by the protocol's rules before it is queued (what the hub would refuse is refused now,
naming the state or the role) and again by the hub."""

from __future__ import annotations

import datetime as dt
from typing import Any

from imi_cli.directory.acting import acting, authored
from imi_cli.errors import InvalidInput, NotFound, Problem, UsageError
from imi_cli.exchanges.alerts import kinds
from imi_cli.exchanges.alerts.labels import kind_label
from imi_cli.exchanges.alerts.projection import load
from imi_cli.i18n import N_, _, t
from imi_cli.log import clock
from imi_cli.log.event import uuid7
from imi_cli.log.journal import append

HINT = N_("`imi alert list` shows the alerts you have")
# A draft is sent once: one sentence per state the alert is in instead
NOT_A_DRAFT = {
    "sent": N_("alert {id} is sent, not a draft; nothing was sent"),
    "withdrawn": N_("alert {id} is withdrawn, not a draft; nothing was sent"),
    "closed": N_("alert {id} is closed, not a draft; nothing was sent"),
}


def parse_date(text: str, flag: str) -> str:
    try:
        return dt.date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        raise UsageError(t("{flag} {text!r} is not a date as YYYY-MM-DD", flag=flag, text=text)) from None


def parse_countries(text: str | None) -> list[str] | None:
    """``--countries HU,DE`` or ``all`` (every member state)."""
    from imi_cli.reference.countries import COUNTRIES, normalize_country

    if text is None:
        return None
    if text.strip().lower() == "all":
        return list(COUNTRIES)
    out, bad = [], []
    for item in (part.strip() for part in text.split(",") if part.strip()):
        code = normalize_country(item)
        (out.append(code) if code else bad.append(item))
    if bad or not out:
        raise UsageError(t("--countries: {value!r} is not a list of IMI countries", value=", ".join(bad) or text),
                         hint=_("codes like HU,DE, or all"))
    return sorted(set(out))


class Alerts:
    def __init__(self, store: Any) -> None:
        self.store = store

    # -- who acts ------------------------------------------------------------------
    def _me(self, conn: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        return acting(self.store, conn)

    def _step(self, type_: str, alert_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        with self.store.transaction() as conn:
            me = self._me(conn)
            if type_ != "alert.drafted" and load(conn, alert_id) is None:
                raise NotFound(t("no alert {id!r} here", id=alert_id), hint=_(HINT))
            event = authored(conn, me, type_, f"alert/{alert_id}", payload)
            append(conn, [event])
        return event

    def get(self, alert_id: str) -> dict[str, Any]:
        with self.store.transaction() as conn:
            alert = load(conn, alert_id)
        if alert is None:
            raise NotFound(t("no alert {id!r} here", id=alert_id), hint=_(HINT))
        return alert

    # -- the sender ----------------------------------------------------------------------
    def new(self, *, kind: str, answers: dict[str, Any], lang: str, profession: str | None = None,
            countries: list[str] | None = None, under_appeal: bool = False, informed_on: str | None = None) -> str:
        """Draft an alert from its question set's answers (checked and stored language-neutral)."""
        from imi_cli.questionnaires.answers import validate_answers
        from imi_cli.questionnaires.registry import catalogs
        from imi_cli.reference.professions import shown

        spec = kinds.KINDS.get(kind)
        if spec is None:
            raise UsageError(t("--kind {kind!r} is not a kind of alert ({kinds})", kind=kind,
                               kinds=", ".join(kinds.KINDS)))
        problems = self._check_new(spec, profession, countries)
        if problems:
            raise InvalidInput(_("the alert is not right; nothing was drafted"), problems=problems)
        given = dict(answers)
        if spec.profession and profession:
            given.setdefault("profession", shown(profession, lang))
        if spec.falsified is not None:
            given.setdefault("falsified_evidence", spec.falsified)
        qset = catalogs().latest(spec.questionnaire)
        values = validate_answers(qset, given, lang)
        if spec.falsified is not None and values.get("falsified_evidence") != spec.falsified:
            raise InvalidInput(t("a {kind} alert answers falsified_evidence with {value!r}", kind=kind_label(kind),
                                 value=spec.falsified),
                               problems=[Problem(kind, "falsified_evidence", t("must be {value}",
                                                                               value=spec.falsified))])
        with self.store.transaction() as conn:
            sender = self._me(conn)[1]["id"]
        content: dict[str, Any] = {"kind": kind, "area": spec.area, "sender": sender,
                                   "questionnaire": qset.id, "qversion": str(qset.version),
                                   "answers": values, "lang": lang}
        if spec.profession:
            content["profession"] = profession
        if not spec.all_countries:
            content["countries"] = countries
        if under_appeal:
            content["under_appeal"] = True
        if informed_on:
            content["informed_on"] = informed_on
        alert_id = uuid7()
        self._step("alert.drafted", alert_id, {"alert": content})
        return alert_id

    @staticmethod
    def _check_new(spec: kinds.Kind, profession: str | None, countries: list[str] | None) -> list[Problem]:
        problems = []
        kind = kind_label(spec.name)
        if spec.profession and profession not in kinds.ALERT_PROFESSIONS:
            problems.append(Problem("--profession", "profession", t(
                "{value!r} is not one of {choices}", value=profession, choices=", ".join(kinds.ALERT_PROFESSIONS))
                if profession else t("a {kind} alert needs --profession", kind=kind)))
        if not spec.profession and profession:
            problems.append(Problem("--profession", "profession", t("a {kind} alert names no profession", kind=kind)))
        if not spec.all_countries and not countries:
            problems.append(Problem("--countries", "countries",
                                    _("a services alert needs --countries (codes, or all)")))
        if spec.all_countries and countries:
            problems.append(Problem("--countries", "countries", t("a {kind} alert goes to every member state",
                                                                  kind=kind)))
        return problems

    def send(self, alert_id: str, late_reason: str | None = None) -> dict[str, Any]:
        """Send a draft to every recipient the directory routes it to."""
        alert = self.get(alert_id)
        if alert["state"] != "draft":
            template = NOT_A_DRAFT.get(alert["state"])
            raise UsageError(t(template, id=alert_id) if template else
                             t("alert {id} is {state}, not a draft; nothing was sent", id=alert_id,
                               state=alert["state"]))
        with self.store.transaction() as conn:
            country = self._me(conn)[1]["country"]
            content = alert["record"]["content"]
            routing = kinds.routing(conn, kinds.KINDS[alert["kind"]], content.get("profession"), country,
                                    content.get("countries"))
        if not routing["coordinators"] and not routing["direct"]:
            raise InvalidInput(t("alert {id}: no authority in the directory can receive it; nothing was sent",
                                 id=alert_id), hint=_("`imi sync` brings the directory up to date"))
        payload: dict[str, Any] = {"alert": content, "routing": routing}
        if late_reason:
            payload["late_reason"] = late_reason
        return self._step("alert.sent", alert_id, payload)

    def modify(self, alert_id: str, *, answers: dict[str, Any], lang: str, under_appeal: bool | None = None,
               informed_on: str | None = None) -> dict[str, Any]:
        from imi_cli.questionnaires.answers import validate_answers
        from imi_cli.questionnaires.registry import catalogs

        alert = self.get(alert_id)
        payload: dict[str, Any] = {"lang": lang}
        if answers:
            content = alert["record"]["content"]
            qset = catalogs().get(content["questionnaire"], content["qversion"])
            merged = validate_answers(qset, {**content["answers"], **answers}, lang)
            payload["answers"] = {k: merged[k] for k in answers if k in merged}
        if under_appeal is not None:
            payload["under_appeal"] = under_appeal
        if informed_on is not None:
            payload["informed_on"] = informed_on
        if len(payload) == 1:
            raise UsageError(_("nothing to modify"), hint=_("give --answer Q=V, --under-appeal/--not-under-appeal "
                                                            "or --informed-on DATE"))
        return self._step("alert.modified", alert_id, payload)

    def withdraw(self, alert_id: str, reason: str) -> dict[str, Any]:
        return self._step("alert.withdrawn", alert_id, {"reason": reason})

    def close(self, alert_id: str, ended_on: str | None = None) -> dict[str, Any]:
        day = ended_on or clock.now().date().isoformat()
        return self._step("alert.closed", alert_id, {"ended_on": day})

    # -- recipients ------------------------------------------------------------------------
    def forward(self, alert_id: str, to: list[str]) -> dict[str, Any]:
        return self._step("alert.forwarded", alert_id, {"to": sorted(set(to))})

    def acknowledge(self, alert_id: str) -> dict[str, Any]:
        return self._step("alert.acknowledged", alert_id, {})
