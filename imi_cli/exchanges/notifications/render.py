"""A notification shown in the reader's language: labels, chosen options and the closing
decision from its question set; free text (answers, comments) with the language it was
written in. Every value from elsewhere reaches the terminal through ``safe_text``."""

from __future__ import annotations

from typing import Any

from imi_cli.exchanges.notifications.views import days_left, next_action, title
from imi_cli.i18n import _, t
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


def _state(code: Any) -> str:
    """A notification's state as the interface language names it (the view keeps the code)."""
    try:
        from imi_cli.exchanges.notifications.labels import state_label
    except ImportError:  # the labels module is not there yet: the code
        return safe_text(code)
    return safe_text(state_label(code))


def _clock(view: dict[str, Any]) -> str:
    """Where the examination period stands, as a clause after the broadcast ("" if it has none)."""

    from imi_cli.exchanges.requests.render import _day
    from imi_cli.exchanges.requests.views import as_date
    from imi_cli.i18n import formats

    left, day = view["days_left"], as_date(view["deadline"])
    if left is not None and left >= 0:
        relative = formats.days_away(left) if day else formats.span(left)
        return t("examination ends {date} ({relative})", date=_day(view["deadline"]), relative=relative)
    if left is not None:
        return t("examination ended {date}", date=_day(view["deadline"]))
    if view["deadline"]:
        return t("examination period until {date}", date=_day(view["deadline"]))
    return ""


def as_text(view: dict[str, Any]) -> str:
    from imi_cli.exchanges.requests.render import _moment
    from imi_cli.i18n import formats

    s = safe_text
    clock = _clock(view)
    lines = [f"{s(view['title'])}  [{_state(view['state'])}]",
             t("from {notifier} ({country}, {area}), broadcast {at}", notifier=s(view["notifier"]),
               country=s(view["country"]), area=s(view["area"]),
               at=_moment(view["broadcast_at"]) if view["broadcast_at"] else "-") + (f"; {clock}" if clock else ""),
             ""]
    for f in view["fields"]:
        mark = "  " + _("(changed)") if f["changed"] else ""
        lines.append(f"{s(f['label'])}: {_block(f['value'])}{mark}")
    if view["decision"]:
        d = view["decision"]
        lines.append("\n" + t("decision ({by}): {label}", by=s(d.get("by")), label=s(d["label"]))
                     + (f" [{s(d.get('lang'))}] {_block(d['text'])}" if d.get("text") else ""))
    if view["withdraw_reason"]:
        lines.append("\n" + t("withdrawn: {reason}", reason=_block(view["withdraw_reason"])))
    lines.append("\n" + t("recipients: {n}; disseminated to: {authorities}", n=formats.number(len(view["recipients"])),
                          authorities=", ".join(s(a) for a in view["disseminated"]) or "-"))
    if view["comments"]:
        lines.append("\n" + _("comments:"))
        for c in view["comments"]:
            lines.append(f"  {_moment(c.get('at'))}  {s(c.get('authority'))} [{s(c.get('lang'))}]: "
                         f"{_block(c.get('text'), '      ')}")
    if view["to_do"]:
        lines.append("\n" + t("to do: {action}", action=s(_(view["to_do"]))))
    return "\n".join(lines) + "\n"


def _block(value: Any, indent: str = "    ") -> str:
    return safe_text(value, multiline=True).replace("\n", "\n" + indent)
