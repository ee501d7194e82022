"""An alert shown in the reader's language: each field's label and each chosen option from
the alert's question set, the profession by its code; free text with the language it was
written in. What this store was not given reads "[withheld]", what was erased "[erased]".

Every value another authority wrote reaches the terminal through ``safe_text``."""

from __future__ import annotations

from typing import Any

from imi_cli.exchanges.alerts.views import my_part, next_action
from imi_cli.exchanges.requests.render import _LABEL, _count, _shown
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


def as_text(view: dict[str, Any]) -> str:
    t = safe_text
    flags = [f for f, on in (("UNDER APPEAL", view["under_appeal"]),
                             (f"sent {view['late_days']} days late", view["late_days"])) if on]
    lines = [f"{t(view['kind'])} alert" + (f" — {t(view['profession'])}" if view["profession"] else "")
             + f"  [{t(view['state'])}]" + (f"  {'; '.join(flags)}" if flags else ""),
             f"from {t(view['sender'])} ({t(view['area'])}), sent {t(view['sent_at'] or '-')}"]
    if view["late_reason"]:
        lines.append(f"why late: {_block(view['late_reason'])}")
    if view["informed_on"]:
        lines.append(f"the professional was informed in writing on {t(view['informed_on'])}")
    if view["countries"]:
        lines.append("countries: " + ", ".join(t(c) for c in view["countries"]))
    lines.append("")
    for f in view["fields"]:
        lines.append(f"{t(f['label'])}: {_block(f['value'])}")
    lines.append("")
    lines.append(f"incoming-alert coordinators: {_ids(view['coordinators'])}")
    lines.append(f"received directly: {_ids(view['direct'])}")
    lines.append(f"forwarded to: {_ids(view['handlers'])}")
    if view["acknowledged"]:
        acks = view["acknowledged"].items()
        lines.append("acknowledged by: " + ", ".join(f"{t(a)} ({t(at)[:10]})" for a, at in acks))
    if view["state"] == "closed":
        lines.append(f"closed: the restriction ended on {t(view['ended_on'])}"
                     + (f"; personal data erased from {t(view['erase_after'])}" if view["erase_after"] else ""))
    if view["state"] == "withdrawn":
        lines.append(f"withdrawn: {_block(view['withdraw_reason'] or '')}")
    if view["to_do"]:
        lines.append(f"\nto do: {t(view['to_do'])}")
    lines.append("\nhistory:")
    lines += [f"  {t(h.get('at'))}  {t(str(h.get('type', '')).split('.', 1)[-1]):<13} "
              f"{t(h.get('authority')) or 'hub'} {t(h.get('user'))}" for h in view["history"]]
    return "\n".join(lines) + "\n"



def _ids(ids: list[str]) -> str:
    return ", ".join(safe_text(i) for i in ids) if ids else "-"


def _block(value: Any) -> str:
    return safe_text(value, multiline=True).replace("\n", "\n    ")
