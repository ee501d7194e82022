"""Hostile events that are well signed (issue 10, items 2, 4 and 11), against a real hub on
loopback and real nodes.

- A node does not trust that the hub checked what it serves: an event stored on the hub as if
  its checks had let it through (planted in the hub's tables, signed by an enrolled user) is
  checked at pull, recorded and skipped; the rest of the page is applied, the cursor moves,
  the next sync is clean and the views work. A bad signature still fails the whole page.
- The hub's housekeeping survives any one record: retention walks a record 600 levels deep,
  skips one it cannot read (saying so, by id and error type only), and its timer never dies.
- An outsider who reuses an existing request's id learns nothing from the refusal.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import pytest

from imi_cli.demo.network import AUTHORITIES, _coordinator, _register, _sync
from imi_cli.errors import InvalidInput
from imi_cli.exchanges.messages import inbox, send
from imi_cli.exchanges.requests.service import Requests
from imi_cli.hub import housekeeping
from imi_cli.hub.background import BackgroundHub
from imi_cli.hub.retention import prune
from imi_cli.hub.state import init_hub
from imi_cli.log import quarantine, redaction
from imi_cli.log.event import canonical, make_event, uuid7
from imi_cli.log.journal import signer_for
from imi_cli.log.store import Store
from imi_cli.protocol import received
from imi_cli.sync.enrolment import client_for, enrol

PASSPHRASE = "robust sync test passphrase"
NAME = "Nagy Béla"
PERSON_DATA = (NAME, "architect")

NO_ALERT_WORK = {"alerts_delivered": 0, "alerts_erased": 0,  # the alert and notification jobs had nothing to do
                 "notifications_delivered": 0, "notification_reminders": 0,
                 "early_erasures": 0, "privacy_blocked": 0, "privacy_erased": 0}  # nor the privacy clock


@pytest.fixture
def net(tmp_path, monkeypatch):
    """A hub on loopback; IE and HU, each with a coordinator and a user whose store the CLI can open."""
    monkeypatch.setenv("IMI_NOW", "2026-01-05T09:00:00+00:00")
    monkeypatch.setenv("IMI_PASSPHRASE", PASSPHRASE)
    hub = init_hub(tmp_path / "hub.db", PASSPHRASE)
    with BackgroundHub(hub) as served:
        coords = {c: _coordinator(hub, tmp_path, served.url, c, lang, c) for c, lang in (("HU", "hu"), ("IE", "en"))}
        users = {}
        for country in coords:
            code = _register(coords[country], *AUTHORITIES[country])
            users[country] = Store.create(tmp_path / f"{country.lower()}.db", PASSPHRASE)
            enrol(users[country], served.url, code)
            _sync(users[country])
        yield SimpleNamespace(hub=hub, url=served.url, coords=coords, users=users, folder=tmp_path)
        for store in [*coords.values(), *users.values()]:
            store.close()
    hub.store.close()


# -- making hostile events ------------------------------------------------------------
@contextmanager
def _deep_stack(extra: int = 5000):
    """Room for the test itself to build, sign and store a structure nested ~1000 deep."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(limit + extra)
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


def _nested(depth: int, leaf: Any = "x") -> Any:
    value = leaf
    for _ in range(depth):
        value = {"k": value}
    return value


def _me(store: Any) -> dict[str, str]:
    return {"user": store.meta("user_id"), "authority": store.meta("authority_id")}


def _signed(store: Any, event: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Concealed (personal fields as digests) and signed by the store's user, as its node would,
    but without any rule run: (signed body, disclosures)."""
    with store.transaction() as conn:
        body, disclosures = redaction.conceal_for(conn, event)
    with _deep_stack():
        return signer_for(store.conn).sign_event(body), disclosures


def _plant(hub: Any, body: dict[str, Any], disclosures: list[str], audience: list[str]) -> int:
    """Store an event on the hub as if every check had let it through (as a hub from before the
    checks, or one that skips them, would have): straight into its tables. Returns its seq."""
    with _deep_stack(), hub.lock, hub.store.transaction() as conn:
        seq = conn.execute("SELECT coalesce(max(seq), 0) + 1 FROM events").fetchone()[0]
        conn.execute("INSERT INTO events(seq, id, type, at, body, status, received_at, hub_seq, entity) "
                     "VALUES (?,?,?,?,?, 'accepted', ?, ?, ?)",
                     (seq, body["id"], body["type"], body["at"], canonical(body), body["at"], seq,
                      body["subject"]["entity"]))
        conn.executemany("INSERT INTO event_audience(authority, seq) VALUES (?, ?)", [(a, seq) for a in audience])
        conn.execute("INSERT INTO entity_log(entity, seq, author) VALUES (?, ?, ?)",
                     (body["subject"]["entity"], seq, body["signature"]["by"]))
        redaction.keep(conn, body, disclosures)
    return seq


def _message(store: Any, extra: dict[str, Any] | None = None, **changes: Any) -> dict[str, Any]:
    payload = {"from": "IE-RIAI", "to": "HU-MEK", "subject": "Hello", "text": "text", "lang": "en",
               **(extra or {})}
    event = make_event("message.sent", actor=_me(store), payload=payload,
                       subject={"entity": f"message/{uuid7()}", "version": 0}, audience=["HU-MEK", "IE-RIAI"])
    return {**event, **changes}


def _request(store: Any, change: Any, type_: str = "request.sent") -> dict[str, Any]:
    """A request from IE to HU as its node would send it, with ``change`` applied to the content."""
    content = {"area": "professional-qualifications", "requester": "IE-RIAI", "responder": "HU-MEK",
               "subject": "Planted", "questionnaire": "pq-verify-qualification", "qversion": "1.0.0",
               "questions": ["document_authentic"], "deadline": "2026-02-20",
               "person": {"applicant_name": NAME, "profession": "architect"}}
    change(content)
    audience = ["HU-MEK", "IE-RIAI", "coordinators:HU-MEK", "coordinators:IE-RIAI"]
    return make_event(type_, actor=_me(store), payload={"request": content},
                      subject={"entity": f"request/{uuid7()}", "version": 0}, audience=sorted(audience))


def _set(key: str, value: Any) -> Any:
    return lambda content: content.__setitem__(key, value)


def _person_values_are_lists(content: dict[str, Any]) -> None:
    content["person"] = {"applicant_name": [NAME, "again"], "profession": ["architect"]}


def _attachment_not_base64(content: dict[str, Any]) -> None:
    content["attachments"] = [{"name": "scan.pdf", "content_b64": "not base64 at all!"}]


HOSTILE = {
    # name: (make the event from IE's store, the start of the reason the node records)
    "a message with a key nested 980 deep": (
        lambda ie: _message(ie, {"x": _nested(980)}), "invalid: the event is nested deeper"),
    "a deadline that is not a date": (
        lambda ie: _request(ie, _set("deadline", "not-a-date")), "invalid: payload.request.deadline does not"),
    "person values that are lists": (
        lambda ie: _request(ie, _person_values_are_lists), "invalid: payload.request.person."),
    "a comment without its language": (
        lambda ie: _request(ie, _set("comments", [{"text": "see the scan", "side": "requester"}])),
        "invalid: payload.request.comments[0] does not"),
    "an attachment that is not base64 (its projection fails)": (
        lambda ie: _request(ie, _attachment_not_base64), "projection_failed: it could not be applied (Error)"),
    "a reminder signed by a user": (
        lambda ie: make_event("request.reminder", actor=_me(ie), payload={"kind": "inactive", "key": "2026-01-05"},
                              subject={"entity": f"request/{uuid7()}", "version": 0},
                              audience=["HU-MEK", "coordinators:HU-MEK"]),
        "not_allowed: only the hub makes request.reminder events"),
}


def _honest_request(ie: Any) -> str:
    requests = Requests(ie)
    rid = requests.new(area="professional-qualifications", to="HU-MEK", questionnaire="pq-verify-qualification",
                       questions=["document_authentic"], deadline="2026-02-20", subject="Honest",
                       person={"applicant_name": NAME, "profession": "architect"})
    requests.send(rid)
    return rid


def _page_with(net: Any, hostile: dict[str, Any]) -> tuple[str, dict[str, Any], int]:
    """On the hub, for HU: an honest request, the hostile event, an honest message after it.
    Returns (the honest request's id, the hostile event's signed body, its seq)."""
    ie = net.users["IE"]
    rid = _honest_request(ie)
    assert _sync(ie).rejected == []
    body, disclosures = _signed(ie, hostile)
    seq = _plant(net.hub, body, disclosures, ["HU-MEK", "IE-RIAI"])
    send(ie, "HU-MEK", "After", "sent after the hostile event", "en")
    assert _sync(ie).rejected == []
    return rid, body, seq


def _hub_max_seq(hub: Any) -> int:
    return hub.store.query("SELECT max(seq) FROM events")[0][0]


# -- item 2: one bad event never stops a sync --------------------------------------------
@pytest.mark.parametrize("kind", list(HOSTILE))
def test_one_well_signed_hostile_event_is_skipped_and_the_rest_of_the_page_applied(net, kind, imi, monkeypatch):
    make, reason = HOSTILE[kind]
    rid, body, seq = _page_with(net, make(net.users["IE"]))
    hu = net.users["HU"]

    report = _sync(hu)

    assert [(s["id"], s["seq"], s["type"]) for s in report.skipped] == [(body["id"], seq, body["type"])]
    assert report.skipped[0]["reason"].startswith(reason), report.skipped[0]["reason"]
    assert not any(value in report.skipped[0]["reason"] for value in PERSON_DATA)
    # the rest of the page: the request before it and the message after it
    assert Requests(hu).get(rid)["state"] == "sent"
    assert [m["subject"] for m in inbox(hu)] == ["After"]
    assert int(hu.meta("cursor")) == _hub_max_seq(net.hub)
    # not in the log, never projected; recorded, without its content
    assert hu.query("SELECT count(*) FROM events WHERE id = ?", (body["id"],))[0][0] == 0
    assert hu.query("SELECT count(*) FROM requests WHERE subject = 'Planted'")[0][0] == 0
    (entry,) = quarantine.entries(hu.conn)
    assert (entry["id"], entry["seq"], entry["source"]) == (body["id"], seq, "pull")
    # the next sync is clean
    again = _sync(hu)
    assert (again.skipped, again.pulled) == ([], 0)
    # and the views work, from the command line
    monkeypatch.setenv("IMI_STORE", str(net.folder / "hu.db"))
    for args in (("request", "list"), ("inbox",), ("request", "show", rid), ("message", "list")):
        result = imi(*args)
        assert result.code == 0, (args, result.err)


def test_imi_sync_says_what_it_skipped_and_json_lists_it(net, imi, monkeypatch):
    _, body, seq = _page_with(net, _request(net.users["IE"], _set("deadline", "not-a-date")))
    monkeypatch.setenv("IMI_STORE", str(net.folder / "hu.db"))
    result = imi("--json", "sync")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["skipped"] == [{"id": body["id"], "seq": seq, "type": "request.sent",
                                  "reason": "invalid: payload.request.deadline does not have the form "
                                            "its type declares"}]
    # a second hostile event, told in words
    _, second, _ = _page_with(net, _message(net.users["IE"], {"x": _nested(980)}))
    result = imi("sync")
    assert result.code == 0, result.err
    assert (f"Skipped 1 event(s) from the hub: {second['id']}: invalid: the event is nested deeper than 17 levels"
            in result.err.replace("\n", " ")), result.err


def test_a_bad_signature_still_fails_the_whole_page(net):
    ie, hu = net.users["IE"], net.users["HU"]
    send(ie, "HU-MEK", "Before", "an honest one", "en")
    assert _sync(ie).rejected == []
    body, _ = _signed(ie, _message(ie))
    _plant(net.hub, {**body, "payload": {**body["payload"], "text": "changed after signing"}}, [],
           ["HU-MEK", "IE-RIAI"])
    cursor = hu.meta("cursor")
    with pytest.raises(InvalidInput, match="does not carry a valid signature .* nothing from this page was applied"):
        _sync(hu)
    assert hu.meta("cursor") == cursor
    assert inbox(hu) == []
    assert quarantine.entries(hu.conn) == []


def test_a_withheld_field_is_not_a_schema_problem_but_a_wrong_type_beside_it_is():
    """A node checks the revealed event; a field whose disclosure it lacks is a marker there,
    so the personal keys are optional then, and nothing else is."""
    def sent(content_changes: dict[str, Any]) -> dict[str, Any]:
        content = {"area": "services", "requester": "IE-RIAI", "responder": "HU-MEK", "subject": "s",
                   "questionnaire": "q", "qversion": "1.0.0", "questions": ["a"], "deadline": "2026-02-20",
                   "person": {"_withheld": 1, "profession": "architect"},
                   "attachments": [{"name": "scan.pdf", "_erased": 1}], **content_changes}
        return {"id": "x", "type": "request.sent", "at": "2026-01-05T09:00:00.000Z",
                "actor": {"user": "ie.murphy", "authority": "IE-RIAI"}, "audience": ["IE-RIAI"],
                "subject": {"entity": "request/r1", "version": 0}, "payload": {"request": content},
                "signature": {"by": "ie.murphy", "sig": "s"}}

    assert received.payload_problem(sent({})) is None
    assert received.payload_problem(sent({"deadline": "not-a-date"})).startswith(
        "invalid: payload.request.deadline does not")
    assert received.payload_problem(sent({"attachments": [{"_erased": 1}]})).startswith(
        "invalid: payload.request.attachments[0] does not")  # only the personal key is optional


def test_rebuild_skips_and_reports_an_event_it_cannot_apply(net, imi, monkeypatch):
    """A store that holds such an event already (stored by a node from before the checks):
    `imi store rebuild` skips it, says so, and rebuilds everything else."""
    ie, hu = net.users["IE"], net.users["HU"]
    rid = _honest_request(ie)
    assert _sync(ie).rejected == []
    _sync(hu)
    body, disclosures = _signed(ie, _request(ie, _attachment_not_base64))
    with hu.transaction() as conn:  # as an old node stored it: in the log, as received
        conn.execute("INSERT INTO events(id, type, at, body, status, hub_seq, entity) VALUES (?,?,?,?,'remote',?,?)",
                     (body["id"], body["type"], body["at"], canonical(body), 10_000, body["subject"]["entity"]))
        redaction.keep(conn, body, disclosures)
    monkeypatch.setenv("IMI_STORE", str(net.folder / "hu.db"))
    result = imi("--json", "store", "rebuild")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["skipped"] == [{"id": body["id"], "seq": 10_000, "type": "request.sent",
                                  "reason": "projection_failed: it could not be applied (Error)"}]
    assert Requests(hu).get(rid)["state"] == "sent"
    result = imi("store", "rebuild")
    assert result.code == 0 and f"Skipped 1 event(s) of the log: {body['id']}" in result.err, result.err
    assert len(quarantine.entries(hu.conn)) == 1  # a rebuild's records replace the last rebuild's
    assert imi("request", "list").code == 0


def test_an_answer_nested_deeper_than_the_parser_goes_is_read(net):
    """The hub's answer is parsed with room for its measured depth (a page once failed to parse
    at all), and the deepest thing a hub can hold is bounded."""
    from imi_cli.sync.hubclient import MAX_ANSWER_DEPTH, parse_answer

    with _deep_stack():
        text = json.dumps({"events": [_nested(1200)]}).encode()
    assert parse_answer(text)["events"]
    with pytest.raises(ValueError, match="nested deeper than"):
        parse_answer(b"[" * (MAX_ANSWER_DEPTH + 10) + b"]" * (MAX_ANSWER_DEPTH + 10))


# -- item 4: housekeeping survives any one record -----------------------------------------
def _withdrawn_draft(net: Any) -> str:
    ie = Requests(net.users["IE"])
    rid = ie.new(area="professional-qualifications", to="HU-MEK", questionnaire="pq-verify-qualification",
                 questions=["document_authentic"], deadline="2026-02-20", subject="Withdrawn",
                 person={"applicant_name": NAME, "profession": "architect"})
    ie.withdraw(rid, "not needed")
    assert _sync(net.users["IE"]).rejected == []
    return rid


def _plant_record(hub: Any, rid: str, text: str) -> None:
    """Put a record the schema would now refuse straight into the hub's requests table."""
    with hub.lock, hub.store.transaction() as conn:
        conn.execute("UPDATE requests SET record = ? WHERE id = ?", (text, rid))


def _deep_person(depth: int) -> str:
    return '{"person": {"applicant_name": ' + '{"k": ' * depth + json.dumps(NAME) + "}" * depth + "}}"


def test_prune_walks_a_record_nested_600_deep(net, monkeypatch):
    rid = _withdrawn_draft(net)
    _plant_record(net.hub, rid, _deep_person(600))
    monkeypatch.setenv("IMI_NOW", "2026-03-01T09:00:00+00:00")
    skipped: list = []
    assert prune(net.hub, 30, skipped) >= 2  # drafted and withdrawn
    assert skipped == []
    assert net.hub.store.query("SELECT count(*) FROM requests WHERE id = ?", (rid,))[0][0] == 0


def test_prune_skips_a_record_it_cannot_read_says_so_and_runs_again(net, monkeypatch, caplog, imi):
    unreadable, fine = _withdrawn_draft(net), _withdrawn_draft(net)
    _plant_record(net.hub, unreadable, _deep_person(5000))
    monkeypatch.setenv("IMI_NOW", "2026-03-01T09:00:00+00:00")
    caplog.set_level(logging.WARNING, logger="imi.hub.housekeeping")
    skipped: list = []
    done = housekeeping.run_once(net.hub, 30, skipped)
    assert done["pruned"] >= 2
    assert skipped == [{"job": "retention", "id": f"request/{unreadable}", "error": "RecursionError"}]
    left = {r for (r,) in net.hub.store.query("SELECT id FROM requests")}
    assert unreadable in left and fine not in left
    logged = [r.getMessage() for r in caplog.records if r.name == "imi.hub.housekeeping"]
    assert logged == [f"housekeeping (retention) skipped request/{unreadable}: RecursionError"]
    assert not any(NAME in line for line in caplog.text.splitlines())
    # the next run still works: the record stays skipped, nothing else is stopped
    assert housekeeping.run_once(net.hub, 30) == {"reminders": 0, "pruned": 0, **NO_ALERT_WORK}
    # `imi hub prune` says what it skipped
    monkeypatch.setenv("IMI_STORE", str(net.folder / "hub.db"))
    result = imi("hub", "prune", "--older-than", "30")
    assert result.code == 0, result.err
    assert f"Skipped 1 record that could not be processed: request/{unreadable} (RecursionError)" in \
        result.err.replace("\n", " "), result.err
    result = imi("--json", "hub", "prune", "--older-than", "30")
    assert json.loads(result.out) == {"removed": 0, "skipped": [
        {"job": "retention", "id": f"request/{unreadable}", "error": "RecursionError"}]}


def test_an_unreadable_open_request_keeps_the_attachments_it_names(net, monkeypatch, tmp_path):
    """Retention removes a settled request's documents unless a request that stays refers to
    them; a record it cannot read keeps every document its text names."""
    from imi_cli.hub.retention import _still_used

    digest = "ab" * 32
    with net.hub.lock, net.hub.store.transaction() as conn:
        conn.execute("INSERT INTO requests(id, state, area, requester, responder, subject, created_at, "
                     "last_activity, record) VALUES ('r-open', 'sent', 'services', 'IE-RIAI', 'HU-MEK', 's', "
                     "'2026-01-05', '2026-01-05', ?)", ('{"a": ' * 5000 + json.dumps({"sha256": digest}) + "}" * 5000,))
        assert _still_used(conn, {digest, "cd" * 32}) == {digest}


def test_reminders_skip_a_request_they_cannot_read_and_pulls_go_on(net, monkeypatch):
    ie = Requests(net.users["IE"])
    rids = []
    for subject in ("Broken", "Due"):
        rid = ie.new(area="professional-qualifications", to="HU-MEK", questionnaire="pq-verify-qualification",
                     questions=["document_authentic"], deadline="2026-01-20", subject=subject,
                     person={"applicant_name": NAME, "profession": "architect"})
        ie.send(rid)
        rids.append(rid)
    assert _sync(net.users["IE"]).rejected == []
    _plant_record(net.hub, rids[0], _deep_person(5000))
    monkeypatch.setenv("IMI_NOW", "2026-01-18T09:00:00+00:00")
    skipped: list = []
    done = housekeeping.run_once(net.hub, None, skipped)
    assert done == {"reminders": 1, "pruned": 0, **NO_ALERT_WORK}  # the other request's reminder is made
    assert skipped == [{"job": "reminders", "id": f"request/{rids[0]}", "error": "RecursionError"}]
    report = _sync(net.users["HU"])  # each pull issues reminders too: it must not fail
    assert report.skipped == [] and report.pulled >= 3


def test_the_housekeeping_timer_outlives_a_failing_round(net, monkeypatch, caplog):
    calls = []
    ran_twice = threading.Event()

    def failing_prune(hub: Any, days: int, skipped: Any = None) -> int:
        calls.append(days)
        if len(calls) >= 2:
            ran_twice.set()
        raise RecursionError("maximum recursion depth exceeded")

    def failing_reminders(hub: Any, skipped: Any = None) -> int:
        raise MemoryError

    monkeypatch.setattr("imi_cli.hub.retention.prune", failing_prune)
    monkeypatch.setattr("imi_cli.exchanges.requests.reminders.issue", failing_reminders)
    caplog.set_level(logging.ERROR, logger="imi.hub.housekeeping")
    stop = housekeeping.start(net.hub, 30, interval=0.02)
    try:
        assert ran_twice.wait(10), "the timer died after its first failing round"
    finally:
        stop.set()
    assert "housekeeping (retention) failed: RecursionError" in caplog.text
    assert "housekeeping (reminders) failed: MemoryError" in caplog.text


def test_tick_logs_and_survives_whatever_a_round_raises(net, monkeypatch, caplog):
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"a message quoting {NAME}")

    monkeypatch.setattr(housekeeping, "run_once", broken)
    caplog.set_level(logging.ERROR, logger="imi.hub.housekeeping")
    assert housekeeping.tick(net.hub, 30) is None
    assert "housekeeping failed (RuntimeError)" in caplog.text and NAME not in caplog.text


# -- item 11: no existence oracle ------------------------------------------------------------
def test_an_outsider_reusing_a_request_id_learns_what_its_requester_learns(net, tmp_path):
    """DE's coordinator takes no part in IE's request. Pushing a draft with its id, it is told
    exactly what IE itself is told for the same reused id: not who asked, nor the state."""
    ie = net.users["IE"]
    rid = _honest_request(ie)
    assert _sync(ie).rejected == []
    outsider = _coordinator(net.hub, tmp_path, net.url, "DE", "de", "DE")

    def refusal(store: Any, requester: str) -> dict[str, Any]:
        draft = _request(store, _set("requester", requester), "request.drafted")
        draft["subject"]["entity"] = f"request/{rid}"
        draft["audience"] = sorted([requester, f"coordinators:{requester}"])
        body, disclosures = _signed(store, draft)
        with client_for(store) as client:
            (result,) = client.push([{**body, "disclosures": disclosures}])
        assert result["status"] == "rejected", result
        return {k: result.get(k) for k in ("reason", "message", "params")}

    told_outsider = refusal(outsider, "DE-NCO")
    told_requester = refusal(ie, "IE-RIAI")
    outsider.close()
    assert told_outsider == told_requester
    assert told_outsider["reason"] == "illegal_transition"
    assert told_outsider["message"] == f"request/{rid} already exists"
    said = json.dumps(told_outsider)
    for secret in ("IE-RIAI", ie.meta("user_id"), "HU-MEK", "sent", "draft"):
        assert secret not in said, secret
