"""Information requests, as a Python user or a command drives them: each step is a signed
event, checked here first (so a refusal names the current state at once) and again by the hub."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from imi_cli.directory.acting import acting
from imi_cli.errors import InvalidInput, NotFound, Problem, UsageError
from imi_cli.exchanges.requests import access
from imi_cli.exchanges.requests.lifecycle import check_step
from imi_cli.exchanges.requests.projection import load
from imi_cli.i18n import t
from imi_cli.log import clock
from imi_cli.log.event import make_event, uuid7
from imi_cli.log.journal import append

if TYPE_CHECKING:
    from imi_cli.questionnaires.model import QuestionSet
    from imi_cli.questionnaires.registry import Registry

# All attachments of one event together: base64 makes them a third larger, and one event
# must fit in a push to the hub (8 MB a request).
MAX_ATTACHMENT = 4 * 1024 * 1024


def read_attachment(path: Path) -> dict[str, Any]:
    """A regular file only, its size checked before it is read (not /dev/zero, a FIFO, a folder)."""
    from imi_cli.bulk.files import TooBig, read_regular_file

    try:
        data = read_regular_file(Path(path), MAX_ATTACHMENT, what="attached")
    except NotFound:
        raise NotFound(t("{path}: no such file to attach", path=str(path))) from None
    except TooBig as exc:
        # byte counts as figures a person compares with the file's size (no separators)
        raise InvalidInput(t("{path}: {size} bytes is over the attachment limit of {limit}", path=str(path),
                             size=exc.size, limit=MAX_ATTACHMENT)) from None
    return {"name": Path(path).name, "content_b64": base64.b64encode(data).decode("ascii")}


def read_attachments(paths: Sequence[Path]) -> list[dict[str, Any]]:
    """Files to attach to one step; together within MAX_ATTACHMENT."""
    files = [read_attachment(p) for p in paths]
    total = sum(len(f["content_b64"]) * 3 // 4 for f in files)
    if total > MAX_ATTACHMENT:
        raise InvalidInput(t("the attachments total {total} bytes, over the limit of {limit} per step",
                             total=total, limit=MAX_ATTACHMENT))
    return files


def _carry_link(content: dict[str, Any], record: dict[str, Any]) -> None:
    """A request sent or passed on keeps the alert it follows up, and the language of its subject."""
    for key in ("about_alert", "subject_lang"):
        if record.get(key):
            content[key] = record[key]


def _parse_deadline(text: str, flag: str = "--deadline") -> str:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(t("{option} {value!r} is not a date as YYYY-MM-DD", option=flag, value=text)) from None
    if day <= clock.now().date():  # the day as it was typed
        raise UsageError(t("the deadline {day} is not in the future", day=day.isoformat()))
    return day.isoformat()


class Requests:
    def __init__(self, store: Any, catalogs: Registry | None = None) -> None:
        from imi_cli.questionnaires.registry import catalogs as process_catalogs

        self.store = store
        self.catalogs = catalogs if catalogs is not None else process_catalogs()

    # -- who acts ----------------------------------------------------------
    def _me(self, conn: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        return acting(self.store, conn)

    def _check(self, conn: Any, type_: str, request_id: str, payload: dict[str, Any]) -> tuple[dict, dict]:
        """May this store's user take this step now? Raises Rejected naming the state or role."""
        user, authority = self._me(conn)
        request = load(conn, request_id)
        if request is None and type_ != "request.drafted":
            raise NotFound(t("no request {id!r} here", id=request_id), hint=t("`imi request list` shows yours"))
        check_step(type_, request, authority, user, lambda other: access.coordinates(conn, authority["id"], other),
                   clock.iso(clock.now()), payload)
        return user, authority

    def _step(self, type_: str, request_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        with self.store.transaction() as conn:
            user, authority = self._check(conn, type_, request_id, payload)
            event = make_event(type_, actor={"user": user["id"], "authority": authority["id"]},
                               payload=payload, subject={"entity": f"request/{request_id}"})
            event["audience"] = access.expected_audience(conn, event)
            append(conn, [event])
        return event

    # -- the requester -----------------------------------------------------
    def new(self, *, area: str, to: str | None, questionnaire: str, questions: list[str] | None, deadline: str,
            subject: str, person: dict[str, str] | None = None, comment: str | None = None,
            lang: str = "en", attachments: Sequence[Path] = (), about_alert: str | None = None) -> str:
        """``about_alert``: the alert the request follows up (to its sender: ``to`` may be left out)."""
        qset = self.catalogs.latest(questionnaire)
        if about_alert is not None:
            to = self._alert_sender(about_alert, to)
        if to is None:
            raise UsageError(t("a request needs --to (the responding authority), or --about-alert ID"))
        problems = self._check_new(area, to, qset, questions)
        if problems:
            raise InvalidInput(t("the request is not right; nothing was drafted"), problems=problems)
        with self.store.transaction() as conn:
            requester = self._me(conn)[1]["id"]
        content = {"area": area, "requester": requester, "responder": to, "subject": subject,
                   "questionnaire": qset.id, "qversion": qset.version, "questions": _with_conditions(qset, questions),
                   "deadline": _parse_deadline(deadline), "person": person or {},
                   "comments": [{"text": comment, "lang": lang, "side": "requester"}] if comment else [],
                   "attachments": read_attachments(attachments), "subject_lang": lang}
        if about_alert is not None:
            content["about_alert"] = about_alert
        request_id = uuid7()
        self._step("request.drafted", request_id, {"request": content})
        return request_id

    def _alert_sender(self, alert_id: str, to: str | None) -> str:
        from imi_cli.exchanges.alerts.projection import load as load_alert

        alert = load_alert(self.store.conn, alert_id)
        if alert is None or alert["state"] == "draft":
            raise NotFound(t("no alert {id!r} here", id=alert_id), hint=t("`imi alert list` shows the alerts you have"))
        if to is not None and to != alert["sender"]:
            raise UsageError(t("a request about alert {id} goes to its sender, {sender}, not {to}",
                               id=alert_id, sender=alert["sender"], to=to))
        return str(alert["sender"])

    def _check_new(self, area: str, to: str, qset: Any, questions: list[str] | None) -> list[Problem]:
        from imi_cli.exchanges.alerts.kinds import QUESTIONNAIRES

        problems = []
        if qset.id in QUESTIONNAIRES:
            problems.append(Problem("--questionnaire", None, t("{set} is an alert's question set, not a request's: "
                                                               "send an alert with `imi alert new`", set=qset.id)))
        target = access.authority(self.store.conn, to)
        if target is None:
            problems.append(Problem("--to", None, t("no authority {id!r} in the directory", id=to)))
        elif area not in target["areas"]:
            problems.append(Problem("--to", None, t("{authority} is not competent in {area}", authority=to, area=area)))
        if qset.area != area:
            problems.append(Problem("--questionnaire", None, t("{set} belongs to {set_area}, not {area}",
                                                               set=qset.id, set_area=qset.area, area=area)))
        if qset.status != "published":
            problems.append(Problem("--questionnaire", None, _not_published(qset.id, qset.status)))
        known = {q.id for q in qset.questions}
        problems += [Problem("--questions", q, t("no such question in the set"))
                     for q in questions or [] if q not in known]
        return problems

    def approve(self, rid: str) -> None:
        self._step("request.approved", rid, {})

    def send(self, rid: str) -> None:
        request = self.get(rid)
        content = {k: request["record"].get(k) for k in ("area", "requester", "responder", "subject", "questionnaire",
                                                          "qversion", "questions", "deadline", "person", "comments")}
        _carry_link(content, request["record"])
        content["attachments"] = self._attachment_contents(request["record"].get("attachments", []))
        self._step("request.sent", rid, {"request": content})

    def agree_deadline(self, rid: str, agree: bool) -> None:
        self._step("request.deadline_agreed", rid, {"agree": agree})

    def ask_more(self, rid: str, text: str, lang: str) -> None:
        self._step("request.info_requested", rid, {"text": text, "lang": lang})

    def close(self, rid: str, timeliness: int, quality: int) -> None:
        for name, value in (("timeliness", timeliness), ("quality", quality)):
            if not 1 <= value <= 5:
                option = "--" + name
                raise UsageError(t("{option} is a rating from 1 to 5", option=option))
        self._step("request.closed", rid, {"timeliness": timeliness, "quality": quality})

    def withdraw(self, rid: str, reason: str) -> None:
        self._step("request.withdrawn", rid, {"reason": reason})

    def reopen(self, rid: str, reason: str) -> None:
        self._step("request.reopened", rid, {"reason": reason})

    # -- the responder -----------------------------------------------------
    def accept(self, rid: str, propose_deadline: str | None = None) -> None:
        payload = ({"proposed_deadline": _parse_deadline(propose_deadline, "--propose-deadline")}
                   if propose_deadline else {})
        self._step("request.accepted", rid, payload)

    def forward(self, rid: str, to: str, *, reassign: bool = False) -> None:
        request = self.get(rid)
        target = access.authority(self.store.conn, to)
        if target is None or request["area"] not in target["areas"]:
            raise InvalidInput(t("{id!r} is not an authority competent in {area}", id=to, area=request["area"]))
        content = {k: request["record"].get(k) for k in ("area", "requester", "subject", "questionnaire", "qversion",
                                                          "questions", "deadline", "person", "comments")}
        _carry_link(content, request["record"])
        content.update(responder=to, attachments=self._attachment_contents(request["record"].get("attachments", [])))
        self._step("request.reassigned" if reassign else "request.forwarded", rid,
                   {"from": request["responder"], "to": to, "request": content})

    def allocate(self, rid: str, handlers: list[str]) -> None:
        request = self.get(rid)
        known = {u for (u,) in self.store.query("SELECT id FROM users WHERE authority_id = ?", (request["responder"],))}
        unknown = [h for h in handlers if h not in known]
        if unknown:
            raise InvalidInput(t("not users of {authority}: {users}", authority=request["responder"],
                                 users=", ".join(unknown)))
        self._step("request.allocated", rid, {"handlers": handlers})

    def answer(self, rid: str, answers: dict[str, Any], lang: str, attachments: Sequence[Path] = ()) -> None:
        from imi_cli.questionnaires.answers import validate_answers

        request = self.get(rid)
        self._check(self.store.conn, "request.answered", rid, {})  # state and role before the values
        qset = self.question_set(request)
        asked = dataclasses.replace(qset, questions=tuple(q for q in qset.questions
                                                          if q.id in request["record"]["questions"]))
        values = validate_answers(asked, answers, lang)
        self._step("request.answered", rid, {"answers": values, "lang": lang,
                                             "attachments": read_attachments(attachments)})

    # -- reading -----------------------------------------------------------
    def question_set(self, request: dict[str, Any]) -> QuestionSet:
        """The question set at the version the request was made with."""
        record = request["record"]
        return self.catalogs.get(record["questionnaire"], record["qversion"])

    def get(self, rid: str) -> dict[str, Any]:
        request = load(self.store.conn, rid)
        if request is None:
            raise NotFound(t("no request {id!r} here", id=rid), hint=t("`imi request list` shows yours"))
        return request

    def history(self, rid: str) -> list[dict[str, Any]]:
        keys = ("at", "type", "user", "authority", "detail")
        rows = self.store.query("SELECT at, type, user_id, authority, detail FROM request_history "
                                "WHERE request_id = ? ORDER BY at, rowid", (rid,))
        return [{**dict(zip(keys, r, strict=True)), "detail": json.loads(r[4])} for r in rows]

    def _attachment_contents(self, refs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for ref in refs:
            row = self.store.query("SELECT content FROM request_attachments WHERE sha256 = ?", (ref["sha256"],))
            out.append({"name": ref["name"], "content_b64": base64.b64encode(row[0][0]).decode("ascii")})
        return out


def _not_published(set_id: str, status: str) -> str:
    """A question set that cannot be asked yet, or any more."""
    if status == "draft":
        return t("{set} is a draft, not published", set=set_id)
    if status == "retired":
        return t("{set} is retired, not published", set=set_id)
    return t("{set} is {status}, not published", set=set_id, status=status)


def _with_conditions(qset: Any, wanted: list[str] | None) -> list[str]:
    """The chosen questions plus the earlier ones their conditions depend on, in set order."""
    if not wanted:
        return [q.id for q in qset.questions]
    by_id = {q.id: q for q in qset.questions}
    chosen = set(wanted)
    for qid in list(wanted):
        question = by_id[qid]
        while question.enable_when and question.enable_when.question not in chosen:
            chosen.add(question.enable_when.question)
            question = by_id[question.enable_when.question]
    return [q.id for q in qset.questions if q.id in chosen]
