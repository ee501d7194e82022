"""Pulling page after page, the next page asked for while one applies: the pages come in order
from where each one ends, a page that fails leaves the cursor after the last one applied and no
pull under way, and an expired cursor still starts again from the start of the log."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from imi_cli.errors import InvalidInput
from imi_cli.log.crypto import Signer
from imi_cli.log.event import make_event, uuid7
from imi_cli.sync import session
from imi_cli.sync.hubclient import CursorExpired
from imi_cli.sync.session import SyncReport, pull


class Hub:
    """A hub's pulls, from a list of (seq, event); each pull recorded, slow enough for a page
    to be asked for while the one before it applies."""

    def __init__(self, events: list[dict[str, Any]], start: int) -> None:
        self.log = [(start + i, e) for i, e in enumerate(events, 1)]
        self.asked: list[int] = []
        self.under_way = 0
        self.expire_once_at: int | None = None
        self.lock = threading.Lock()

    def pull(self, after: int, limit: int = 1000, wait: float = 0) -> dict[str, Any]:
        with self.lock:
            self.under_way += 1
            self.asked.append(after)
        try:
            time.sleep(0.02)
            if after == self.expire_once_at:
                self.expire_once_at = None
                raise CursorExpired("expired")
            return {"events": [{"seq": s, "event": json.loads(json.dumps(e))}
                               for s, e in self.log if s > after][:limit]}
        finally:
            with self.lock:
                self.under_way -= 1


def _messages(store: Any, to: str, n: int) -> list[dict[str, Any]]:
    me = {"user": store.meta("user_id"), "authority": store.meta("authority_id")}
    signer = Signer(me["user"], store.meta("private_key"))
    return [signer.sign_event(make_event(
        "message.sent", actor=me, audience=[me["authority"], to],
        payload={"from": me["authority"], "to": to, "subject": f"page {i}", "text": "x", "lang": "en"},
        subject={"entity": f"message/{uuid7()}", "version": 0})) for i in range(n)]


@pytest.fixture
def pages(monkeypatch):
    monkeypatch.setattr(session, "PULL_PAGE", 10)


def test_pages_come_in_order_each_from_where_the_last_ends(pair, pages):
    hu, ie = pair.coords["HU"], pair.coords["IE"]
    cursor = int(ie.meta("cursor", "0"))
    start = cursor + 1000  # the hub's seqs: beyond any this store holds
    hub = Hub(_messages(hu, "IE-NCO", 25), start)
    messages = ie.query("SELECT count(*) FROM messages")[0][0]
    report = SyncReport()
    pull(ie, hub, report)
    assert hub.asked == [cursor, start + 10, start + 20]  # each page asked for once
    assert report.pulled == 25 and report.cursor == start + 25 and ie.meta("cursor") == str(start + 25)
    assert report.skipped == [], report.skipped
    assert ie.query("SELECT count(*) FROM messages")[0][0] == messages + 25


def test_a_page_that_fails_leaves_the_cursor_after_the_last_page_applied(pair, pages):
    hu, ie = pair.coords["HU"], pair.coords["IE"]
    cursor = int(ie.meta("cursor", "0"))
    start = cursor + 1000  # the hub's seqs: beyond any this store holds
    events = _messages(hu, "IE-NCO", 35)
    events[15]["payload"]["text"] = "forged"
    hub = Hub(events, start)
    with pytest.raises(InvalidInput, match=events[15]["id"]):
        pull(ie, hub, SyncReport())
    assert ie.meta("cursor") == str(start + 10)
    assert hub.asked == [cursor, start + 10, start + 20]  # the third was asked for while the second failed
    assert hub.under_way == 0  # and its pull had ended when the failure came out
    hub.log[15] = (hub.log[15][0], _messages(hu, "IE-NCO", 1)[0])  # the hub serves it honestly now
    report = SyncReport()
    pull(ie, hub, report)
    assert report.pulled == 25 and ie.meta("cursor") == str(start + 35)


def test_an_expired_cursor_on_a_page_asked_for_ahead_starts_from_the_start(pair, pages):
    hu, ie = pair.coords["HU"], pair.coords["IE"]
    cursor = int(ie.meta("cursor", "0"))
    start = cursor + 1000  # the hub's seqs: beyond any this store holds
    hub = Hub(_messages(hu, "IE-NCO", 25), start)
    hub.expire_once_at = start + 10
    report = SyncReport()
    pull(ie, hub, report)
    assert report.reseeded
    assert hub.asked[:3] == [cursor, start + 10, 0]
    assert ie.meta("cursor") == str(start + 25)
    assert ie.query("SELECT count(*) FROM events WHERE hub_seq > ?", (start,))[0][0] == 25  # each once
