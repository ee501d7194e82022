"""An alert shown in the reader's language: each field's label and each chosen option from
the alert's question set, the profession by its code; free text with the language it was
written in. What this store was not given reads "[withheld]", what was erased "[erased]".

Every value another authority wrote reaches the terminal through ``safe_text``."""

from __future__ import annotations

from typing import Any

from imi_cli.exchanges.alerts.views import my_part, next_action
from imi_cli.exchanges.requests.render import _LABEL, _count, _day, _hub, _moment, _shown, hidden_label
from imi_cli.i18n import _, nt, t
from imi_cli.log.disclosures import MARKERS
from imi_cli.safe_text import safe_text


def alert_view(alert: dict[str, Any], lang: str, me: str | None = None) -> dict[str, Any]:
    from imi_cli.questionnaires.catalog import find_set
    from imi_cli.questionnaires.render import question_view
    from imi_cli.reference.professions import shown

    record = alert["record"]
    content = record.get("content") or {}
    answers: dict[str, Any] = content["answers"] if isinstance(content.get("answers"), dict) else {}
    hidden = next((_LABEL[m] for m in MARKERS if answers.get(m)), None)
    qset = find_set(content["questionnaire"], content["qversion"])
    # the markers say how many personal answers this store does not hold: the required ones,
    # and optional ones only if there are more than those
    count = sum(_count(answers.get(m)) for m in MARKERS)
    required = [q.id for q in qset.questions if q.personal_data and q.required and q.id not in answers]
    fields = []
    for q in qset.questions:
        view = question_view(qset, q, lang)
        if q.id == "profession" and alert.get("profession"):
            value: Any = shown(alert["profession"], lang)
        elif q.id in answers:
            value = _shown(answers[q.id], view)
        elif hidden and q.personal_data and (q.required or count > len(required)):
            value = hidden
        else:
            continue
        fields.append({"id": q.id, "label": view["text"], "value": value, "personal_data": q.personal_data})
    routing = record.get("routing") or {}
    return {"id": alert["id"], "kind": alert["kind"], "state": alert["state"], "area": alert["area"],
            "sender": alert["sender"], "profession": shown(alert["profession"], lang) if alert.get("profession")
            else None, "sent_at": alert.get("sent_at"), "late_days": alert.get("late_days"),
            "late_reason": record.get("late_reason"), "under_appeal": bool(content.get("under_appeal")),
            "informed_on": content.get("informed_on"), "countries": content.get("countries"),
            "lang": lang, "fields": fields, "coordinators": routing.get("coordinators", []),
            "direct": routing.get("direct", []), "handlers": record.get("handlers", []),
            "forwards": record.get("forwards", []), "acknowledged": record.get("acks", {}),
            "closed_at": alert.get("closed_at"), "ended_on": alert.get("ended_on"),
            "erase_after": alert.get("erase_after"), "withdraw_reason": record.get("withdraw_reason"),
            "part": my_part(alert, me) if me else None, "to_do": next_action(alert, me) if me else None,
            "history": record.get("history", [])}


def _labels() -> tuple[Any, Any]:
    """The state and kind labels of alerts (the codes themselves until the labels module is there)."""
    try:
        from imi_cli.exchanges.alerts.labels import kind_label, state_label
    except ImportError:
        return safe_text, safe_text
    return state_label, kind_label


def as_text(view: dict[str, Any]) -> str:
    s = safe_text
    state_label, kind_label = _labels()
    late = view["late_days"]
    flags = [_("UNDER APPEAL")] if view["under_appeal"] else []
    if late:
        flags.append(nt("sent {n} day late", "sent {n} days late", late) if isinstance(late, int)
                     else t("sent {n} days late", n=s(late)))
    lines = [t("{kind} alert", kind=s(kind_label(view["kind"])))
             + (f" — {s(view['profession'])}" if view["profession"] else "")
             + f"  [{s(state_label(view['state']))}]" + (f"  {'; '.join(flags)}" if flags else ""),
             t("from {sender} ({area}), sent {at}", sender=s(view["sender"]), area=s(view["area"]),
               at=_moment(view["sent_at"]) if view["sent_at"] else "-")]
    if view["late_reason"]:
        lines.append(t("why late: {reason}", reason=_block(view["late_reason"])))
    if view["informed_on"]:
        lines.append(t("the professional was informed in writing on {date}", date=_day(view["informed_on"])))
    if view["countries"]:
        lines.append(t("countries: {countries}", countries=", ".join(s(c) for c in view["countries"])))
    lines.append("")
    for f in view["fields"]:
        lines.append(f"{s(f['label'])}: {_block(hidden_label(f['value']))}")
    lines.append("")
    lines.append(t("incoming-alert coordinators: {authorities}", authorities=_ids(view["coordinators"])))
    lines.append(t("received directly: {authorities}", authorities=_ids(view["direct"])))
    lines.append(t("forwarded to: {authorities}", authorities=_ids(view["handlers"])))
    if view["acknowledged"]:
        acks = view["acknowledged"].items()
        lines.append(t("acknowledged by: {authorities}",
                       authorities=", ".join(f"{s(a)} ({_day(at)})" for a, at in acks)))
    if view["state"] == "closed":
        lines.append(t("closed: the restriction ended on {date}; personal data erased from {erased}",
                       date=_day(view["ended_on"]), erased=_day(view["erase_after"])) if view["erase_after"]
                     else t("closed: the restriction ended on {date}", date=_day(view["ended_on"])))
    if view["state"] == "withdrawn":
        lines.append(t("withdrawn: {reason}", reason=_block(view["withdraw_reason"] or "")))
    if view["to_do"]:
        lines.append("\n" + t("to do: {action}", action=s(_(view["to_do"]))))
    lines.append("\n" + _("history:"))
    lines += [f"  {_moment(h.get('at'))}  {s(str(h.get('type', '')).split('.', 1)[-1]):<13} "
              f"{s(h.get('authority')) or _hub()} {s(h.get('user'))}" for h in view["history"]]
    return "\n".join(lines) + "\n"


def _ids(ids: list[str]) -> str:
    return ", ".join(safe_text(i) for i in ids) if ids else "-"


def _block(value: Any) -> str:
    return safe_text(value, multiline=True).replace("\n", "\n    ")
