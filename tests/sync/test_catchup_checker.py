"""Signatures of a catch-up checked in a process of their own (``checker.Checker``): its answers
are those libsodium gives here, a process that is not the checker (or that ends) is never
trusted, a page whose signatures it checks still fails at a bad one, and a node that catches
up with it ends up exactly as one that checks each signature as it applies the event."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from imi_cli.demo.network import _node, _sync
from imi_cli.directory.users import Users
from imi_cli.errors import InvalidInput
from imi_cli.exchanges.requests.service import Requests
from imi_cli.hub import disclosures as hub_disclosures
from imi_cli.log import checker as checker_module
from imi_cli.log import disclosures as sd
from imi_cli.log.checker import Checker
from imi_cli.log.crypto import Signer, new_private_key, public_key_of, signed_part, unb64
from imi_cli.log.event import canonical, uuid7
from imi_cli.log.schema import PROJECTION_TABLES
from imi_cli.sync import pages, session
from imi_cli.sync.pages import apply_page
from tests.sync.test_catchup_paths import _messages  # the same events as there


def _jobs(n: int, bad: set[int]) -> list[tuple[bytes, bytes, bytes]]:
    key = new_private_key()
    public, signer = unb64(public_key_of(key)), Signer("u", key)
    jobs = []
    for i in range(n):
        data = canonical({"n": i, "text": "é" * (i % 50)}).encode()
        sig = unb64(signer.sign_bytes(data))
        jobs.append((public, sig, data + b" " if i in bad else data))
    return jobs


def _answered(checker: Checker, count: int) -> None:
    """Wait until the process has answered ``count`` signatures (it starts in some 20 ms)."""
    give_up = time.monotonic() + 20
    while len(checker._answers) < count and checker.alive and time.monotonic() < give_up:
        checker._pump()
        time.sleep(0.005)


def test_the_process_gives_libsodium_s_answers_in_order(monkeypatch):
    local = []
    monkeypatch.setattr(checker_module, "verify_raw", lambda *job: local.append(job) or False)  # never asked here
    bad = {3, 500, 1100, 1499}
    jobs = _jobs(1500, bad)
    checker = Checker()
    try:
        first = checker.submit(jobs[:1000])
        second = checker.submit(jobs[1000:])
        assert second == first + 1000
        _answered(checker, 1500)
        assert [checker.outcome(first + i) for i in range(1500)] == [i not in bad for i in range(1500)]
        assert checker.alive and local == []
        with pytest.raises(KeyError):
            checker.outcome(first + 10)  # taken
    finally:
        checker.close()
    assert not checker.alive


def test_tickets_a_page_did_not_take_are_forgotten_in_order():
    jobs = _jobs(60, {45})
    checker = Checker()
    try:
        failed_page = checker.submit(jobs[:30])  # a page that failed after its first ten
        assert all(checker.outcome(failed_page + i) for i in range(10))
        page = checker.submit(jobs[30:])
        _answered(checker, 60)
        assert [checker.outcome(page + i) for i in range(30)] == [i != 15 for i in range(30)]
        with pytest.raises(KeyError):
            checker.outcome(failed_page + 20)
    finally:
        checker.close()


@pytest.mark.parametrize("script", [
    "import os; os.write(1, b'\\x01' * 100000)",  # says yes to everything, without the token
    "import os, sys; os.write(1, bytes(16) + b'\\x01' * 100000)",  # the wrong token
    "import sys; sys.exit(0)",  # ends at once
    "import os, sys; os.write(1, bytes.fromhex(sys.argv[2]) + b'\\x01\\x07')",  # not an answer
])
def test_a_process_that_is_not_the_checker_is_never_trusted(monkeypatch, script):
    monkeypatch.setattr(checker_module, "_CHECKER", script)
    monkeypatch.setattr(Checker, "PATIENCE", 0.05)
    bad = {0, 1, 2, 7, 40}
    jobs = _jobs(50, bad)
    checker = Checker()
    try:
        first = checker.submit(jobs)
        time.sleep(0.2)  # whatever it says has come
        assert [checker.outcome(first + i) for i in range(50)] == [i not in bad for i in range(50)]
        assert not checker.alive
    finally:
        checker.close()


def test_a_checker_that_ends_midway_leaves_the_rest_checked_here():
    bad = {10, 90}
    jobs = _jobs(100, bad)
    checker = Checker()
    try:
        first = checker.submit(jobs)
        _answered(checker, 1)
        checker._process.kill()
        assert [checker.outcome(first + i) for i in range(100)] == [i not in bad for i in range(100)]
    finally:
        checker.close()


# -- a page checked by the process -------------------------------------------------------
@pytest.fixture
def elsewhere(monkeypatch):
    """Every page's signatures checked by the process, however few."""
    monkeypatch.setattr(pages, "AHEAD_AT_LEAST", 1)
    monkeypatch.setattr(pages, "ELSEWHERE_AT_LEAST", 1)
    yield
    pages.stop_checker()


def test_a_bad_signature_checked_by_the_process_fails_the_whole_page(pair, elsewhere, monkeypatch):
    hu, ie = pair.coords["HU"], pair.coords["IE"]
    events = _messages(hu, "IE-NCO", 250)
    events[150]["payload"]["text"] = "changed after signing"
    checked = []
    real = Checker.outcome
    monkeypatch.setattr(Checker, "outcome", lambda self, ticket: checked.append(ticket) or real(self, ticket))
    before = ie.query("SELECT count(*) FROM events")[0][0], ie.meta("cursor")
    start = int(ie.meta("cursor", "0")) + 100
    with pytest.raises(InvalidInput) as failed:
        apply_page(ie, [{"seq": start + i, "event": e} for i, e in enumerate(events)])
    assert events[150]["id"] in str(failed.value) and "valid signature" in str(failed.value)
    assert (ie.query("SELECT count(*) FROM events")[0][0], ie.meta("cursor")) == before
    assert len(checked) == 151  # the process was asked, for each event up to the bad one
    # the next page is checked by the same process, its tickets after the failed page's
    good = _messages(hu, "IE-NCO", 30)
    assert apply_page(ie, [{"seq": start + 300 + i, "event": e} for i, e in enumerate(good)]) == []
    assert ie.meta("cursor") == str(start + 329)


# -- a whole catch-up, both ways ------------------------------------------------------
def _fresh(pair: Any, tmp_path: Any, name: str) -> Any:
    user = {"id": name, "name": f"Fresh {name}", "email": f"{name}@example.hu", "authority": "HU-MEK",
            "roles": "request_handler"}
    report = Users(pair.coords["HU"]).register([("demo", user)])
    _sync(pair.coords["HU"])
    return _node(tmp_path, name, pair.url, report.invitations[name])


def _held(store: Any, fresh: tuple[str, ...]) -> dict[str, list[tuple]]:
    """Everything a catch-up writes, but what names the fresh users (their own, or the other's)."""
    me = store.meta("user_id")
    tables = {t: f"SELECT * FROM {t}" for t in PROJECTION_TABLES if t not in ("users", "principals", "invitations")}
    tables.update(users=f"SELECT * FROM users WHERE id != '{me}'",
                  principals=f"SELECT * FROM principals WHERE user_id != '{me}'",
                  events="SELECT id, type, at, body, status, hub_seq FROM events",
                  disclosures="SELECT * FROM disclosures", entity_versions="SELECT * FROM entity_versions",
                  quarantine="SELECT * FROM quarantine")
    held = {}
    for table, sql in tables.items():
        rows = store.query(sql)
        held[table] = sorted(tuple(str(v) for v in row) for row in rows
                             if not any(name in json.dumps(row, default=str) for name in fresh))
    return held


def test_a_catch_up_checked_elsewhere_ends_as_one_checked_event_by_event(pair, tmp_path, monkeypatch):
    """A mixed log: requests with personal data (concealed, one field withheld from HU-MEK),
    an attachment, messages, an event the node must skip (signed, but not its type's form) and
    one about a record the log already moved past; pulled in small pages by two fresh nodes of
    the same authority, one checking each signature as it applies the event, the other with
    every page's signatures checked in the process."""
    monkeypatch.setattr(hub_disclosures, "may_see", lambda recipient, event, key: key != "profession")
    (tmp_path / "diploma.pdf").write_bytes(b"%PDF-1.7 diploma")
    ie = Requests(pair.users["IE"])
    for n in range(3):
        rid = ie.new(area="professional-qualifications", to="HU-MEK", questionnaire="pq-verify-qualification",
                     questions=["document_authentic"], deadline="2026-02-20", subject=f"Check {n}",
                     person={"applicant_name": f"Nagy Béla {n}", "profession": "architect"},
                     attachments=[tmp_path / "diploma.pdf"] if n == 0 else [])
        ie.send(rid)
    assert _sync(pair.users["IE"]).rejected == []
    hu = pair.coords["HU"]
    messages = _messages(hu, "IE-NCO", 5)
    messages[1] = Signer(hu.meta("user_id"), hu.meta("private_key")).sign_event(
        {**signed_part(messages[1]), "payload": {**messages[1]["payload"], "lang": 7}})  # signed, not its form
    again = Signer(hu.meta("user_id"), hu.meta("private_key")).sign_event(  # a record the log moved past
        {**signed_part(messages[0]), "id": uuid7(), "subject": {"entity": messages[0]["subject"]["entity"],
                                                               "version": 0}})
    hub = pair.hub
    with hub.lock, hub.store.transaction() as conn:
        for event in [*messages, again]:
            cur = conn.execute("INSERT INTO events(id, type, at, body, status, entity) VALUES (?,?,?,?, 'accepted', ?)",
                               (event["id"], event["type"], event["at"], canonical(event), event["subject"]["entity"]))
            conn.execute("UPDATE events SET hub_seq = ? WHERE seq = ?", (cur.lastrowid, cur.lastrowid))
            conn.execute("INSERT INTO event_audience(authority, seq) VALUES ('*', ?)", (cur.lastrowid,))
    one, other = _fresh(pair, tmp_path, "hu.one"), _fresh(pair, tmp_path, "hu.other")
    monkeypatch.setattr(session, "PULL_PAGE", 7)
    try:
        monkeypatch.setattr(pages, "AHEAD_AT_LEAST", 10**9)
        monkeypatch.setattr(pages, "ELSEWHERE_AT_LEAST", 10**9)
        by_event = _sync(one)
        monkeypatch.setattr(pages, "AHEAD_AT_LEAST", 1)
        monkeypatch.setattr(pages, "ELSEWHERE_AT_LEAST", 1)
        elsewhere = _sync(other)
        assert pages._SLOT.process is not None and pages._SLOT.process.alive  # it was the process that checked
    finally:
        pages.stop_checker()
    assert by_event.pulled == elsewhere.pulled > 20
    assert [(s["id"], s["reason"]) for s in by_event.skipped] == [(s["id"], s["reason"]) for s in elsewhere.skipped]
    assert [s["id"] for s in by_event.skipped] == [messages[1]["id"]]
    held = _held(one, ("hu.one", "hu.other"))
    assert held == _held(other, ("hu.one", "hu.other"))
    assert len(held["requests"]) == 3 and len(held["request_attachments"]) == 1
    kept = [sd.parse_disclosure(row[3])[1] for row in held["disclosures"] if row[3] != "None"]
    assert "applicant_name" in kept and "profession" not in kept  # withheld from HU-MEK
    for store in (one, other):
        store.close()


def test_keys_a_page_enrols_are_used_ahead_and_still_judged_when_the_event_comes(pair, tmp_path, monkeypatch):
    """A fresh node learns its first keys from the page it checks: a signature by a user the
    page enrols is checked ahead with the key the page gives (else it would be checked only as
    its event comes); a forged one is still refused, the page with it."""
    hu = pair.coords["HU"]
    honest = _messages(hu, "IE-NCO", 3)
    forged = {**signed_part(honest[1]), "payload": {**honest[1]["payload"], "text": "forged"},
              "signature": honest[1]["signature"]}
    fresh = _fresh(pair, tmp_path, "hu.fresh")  # before the hub holds the forged event (its coordinator syncs)
    hub = pair.hub
    with hub.lock, hub.store.transaction() as conn:
        for event in (honest[0], forged, honest[2]):
            cur = conn.execute("INSERT INTO events(id, type, at, body, status, entity) VALUES (?,?,?,?, 'accepted', ?)",
                               (event["id"], event["type"], event["at"], canonical(event), event["subject"]["entity"]))
            conn.execute("UPDATE events SET hub_seq = ? WHERE seq = ?", (cur.lastrowid, cur.lastrowid))
            conn.execute("INSERT INTO event_audience(authority, seq) VALUES ('*', ?)", (cur.lastrowid,))
    ahead: dict[str, str] = {}
    real = pages._Page._check_elsewhere

    def spied(self: Any, checker: Any, todo: list) -> None:
        ahead.update((o.event["id"], key) for o, key in todo)
        real(self, checker, todo)

    monkeypatch.setattr(pages._Page, "_check_elsewhere", spied)
    monkeypatch.setattr(pages, "AHEAD_AT_LEAST", 1)
    monkeypatch.setattr(pages, "ELSEWHERE_AT_LEAST", 1)
    try:
        with pytest.raises(InvalidInput, match=forged["id"]):
            _sync(fresh)
    finally:
        pages.stop_checker()
    assert fresh.meta("cursor", "0") == "0"  # the whole log was one page: nothing of it applied
    # the coordinator's key known from the page only, and used ahead for its events
    assert not fresh.query("SELECT 1 FROM principals WHERE user_id = ?", (hu.meta("user_id"),))
    assert ahead[honest[0]["id"]] == ahead[forged["id"]] == public_key_of(hu.meta("private_key"))
    fresh.close()
