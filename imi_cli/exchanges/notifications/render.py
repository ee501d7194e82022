"""A notification shown in the reader's language: labels, chosen options and the closing
decision from its question set; free text (answers, comments) with the language it was
written in. Every value from elsewhere reaches the terminal through ``safe_text``."""

from __future__ import annotations

from typing import Any

from imi_cli.exchanges.notifications.views import days_left, next_action, title
from imi_cli.safe_text import safe_text


def notification_view(n: dict[str, Any], lang: str, me: str | None = None, my_country: str | None = None
                      ) -> dict[str, Any]:
    from imi_cli.exchanges.notifications.kinds import kind_of
    from imi_cli.exchanges.requests.render import _shown
    from imi_cli.questionnaires.catalog import find_set
    from imi_cli.questionnaires.render import question_view
    from imi_cli.reference.languages import pick

    record = n["record"]
    content = record.get("content") or {}
    answers: dict[str, Any] = content["answers"] if isinstance(content.get("answers"), dict) else {}
    qset = find_set(n["kind"], content["qversion"])
    changed = {f for m in record.get("modifications", []) for f in m.get("fields", [])}
    fields = []
    for q in qset.questions:
        if q.id in answers:
            view = question_view(qset, q, lang)
            fields.append({"id": q.id, "label": view["text"], "value": _shown(answers[q.id], view),
                           "changed": q.id in changed})
    decision = record.get("decision")
    if decision:
        kind = kind_of(qset)
        labels = {c.code: pick(c.label, lang, qset.source_language)[0]
                  for c in qset.choice_lists.get((kind.decisions if kind else None) or "", ())}
        decision = {**decision, "label": labels.get(decision.get("code"), decision.get("code"))}
    return {"id": n["id"], "kind": n["kind"], "title": title(n, lang), "state": n["state"], "area": n["area"],
            "notifier": n["notifier"], "country": n["country"], "broadcast_at": n.get("broadcast_at"),
            "deadline": n.get("deadline"), "days_left": days_left(n.get("deadline"), n["state"]),
            "lang": lang, "fields": fields, "recipients": record.get("recipients", []),
            "disseminated": record.get("disseminated", []), "comments": record.get("comments", []),
            "modifications": record.get("modifications", []), "decision": decision,
            "withdraw_reason": record.get("withdraw_reason"),
            "to_do": next_action(n, me, my_country) if me else None, "history": record.get("history", [])}


def as_text(view: dict[str, Any]) -> str:
    t = safe_text
    left = view["days_left"]
    clock = (f"; examination ends {t(view['deadline'])} ({left} days left)" if left is not None and left >= 0
             else f"; examination ended {t(view['deadline'])}" if left is not None
             else f"; examination period until {t(view['deadline'])}" if view["deadline"] else "")
    lines = [f"{t(view['title'])}  [{t(view['state'])}]",
             f"from {t(view['notifier'])} ({t(view['country'])}, {t(view['area'])}), broadcast "
             f"{t(view['broadcast_at'] or '-')}{clock}", ""]
    for f in view["fields"]:
        mark = "  (changed)" if f["changed"] else ""
        lines.append(f"{t(f['label'])}: {_block(f['value'])}{mark}")
    if view["decision"]:
        d = view["decision"]
        lines.append(f"\ndecision ({t(d.get('by'))}): {t(d['label'])}"
                     + (f" [{t(d.get('lang'))}] {_block(d['text'])}" if d.get("text") else ""))
    if view["withdraw_reason"]:
        lines.append(f"\nwithdrawn: {_block(view['withdraw_reason'])}")
    lines.append(f"\nrecipients: {len(view['recipients'])}; disseminated to: "
                 + (", ".join(t(a) for a in view["disseminated"]) or "-"))
    if view["comments"]:
        lines.append("\ncomments:")
        for c in view["comments"]:
            lines.append(f"  {t(c.get('at'))[:16]}  {t(c.get('authority'))} [{t(c.get('lang'))}]: "
                         f"{_block(c.get('text'), '      ')}")
    if view["to_do"]:
        lines.append(f"\nto do: {t(view['to_do'])}")
    return "\n".join(lines) + "\n"


def _block(value: Any, indent: str = "    ") -> str:
    return safe_text(value, multiline=True).replace("\n", "\n" + indent)
