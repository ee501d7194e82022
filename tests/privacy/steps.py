"""Steps of the data-protection tests: exchanges taken to their closure between the stores of
tests/privacy/network.py, and what a store holds of them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from imi_cli.exchanges.requests.service import Requests

PQ_SET, SERVICES_SET = "pq-verify-qualification", "services-verify-provider"


def ok(result: Any) -> Any:
    assert result.code == 0, (result.code, result.out, result.err)
    return result


def R(net: Any, name: str) -> Requests:
    return Requests(net.stores[name])


def _pq_questions() -> tuple[list[str], dict[str, Any]]:
    from imi_cli.demo.request import _sample_answer
    from imi_cli.questionnaires.registry import catalogs

    qset = catalogs().latest(PQ_SET)
    asked = [q for q in qset.questions if q.enable_when is None and q.type not in ("document", "long_text")][:3]
    return [q.id for q in asked], {q.id: _sample_answer(q, qset) for q in asked}


def closed_request(net: Any, person: dict[str, str], *, services: bool = False,
                   attachment: Path | None = None, holders: tuple[str, ...] = ()) -> str:
    """A request from IE-AUTH (ie.handler) to HU-AUTH (hu.handler) about ``person``, sent,
    accepted, answered (with ``attachment``) and closed now; then pulled by ``holders``."""
    deadline = (net.clock.now + dt.timedelta(days=30)).date().isoformat()
    if services:
        area, qset, questions = "services", SERVICES_SET, ["legally_established", "authorisation_status"]
        answers: dict[str, Any] = {"legally_established": "no", "authorisation_status": "valid"}
    else:
        area, qset = "professional-qualifications", PQ_SET
        questions, answers = _pq_questions()
    rid = R(net, "ie.handler").new(area=area, to="HU-AUTH", questionnaire=qset, questions=questions,
                                   deadline=deadline, subject="Checking a professional", person=person)
    R(net, "ie.handler").send(rid)
    net.sync("ie.handler", "hu.handler")
    R(net, "hu.handler").accept(rid)
    R(net, "hu.handler").answer(rid, answers, "hu", attachments=[attachment] if attachment else [])
    net.sync("hu.handler", "ie.handler")
    R(net, "ie.handler").close(rid, 5, 4)
    net.sync("ie.handler", "hu.handler", *holders)
    assert R(net, "hu.handler").get(rid)["state"] == "closed"
    return rid


def person_in(store: Any, rid: str) -> dict[str, Any] | None:
    """The person of request ``rid`` as ``store``'s projection holds it (None: no such request)."""
    row = store.conn.execute("SELECT record FROM requests WHERE id = ?", (rid,)).fetchone()
    return None if row is None else json.loads(row[0])["person"]


def access_log(store: Any) -> list[tuple[str, str, str | None]]:
    """(user, action, entity) of every access-log entry ``store`` holds, oldest first."""
    return store.query("SELECT user_id, action, entity FROM access_log ORDER BY at, id")


def count(store: Any, table: str) -> int:
    return int(store.query(f"SELECT count(*) FROM {table}")[0][0])


def hub_run(net: Any) -> dict[str, int]:
    """The hub's timer, once (reminders, pruning, the data-protection clock ...)."""
    from imi_cli.hub import housekeeping

    return housekeeping.run_once(net.hub, None)
