"""Sync with the hub: push the outbox, pull what concerns this authority (each page applied
by ``pages.apply_page``).

What only a push or a pull with events needs (the receiving checks, redaction) is imported
when there is one: `imi sync` with nothing to do starts sooner without it.

Pull applies a page of events and moves the cursor in one transaction, so a
crash never loses or doubles an event. Every pulled event's signature is
checked against its author's enrolled key (the operator's key is pinned at
enrolment), so not even the hub can forge an authority's words.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from imi_cli.log import clock
from imi_cli.log.canonical import encodable
from imi_cli.log.event import canonical
from imi_cli.log.journal import note_version
from imi_cli.log.projections import rebuild
from imi_cli.protocol.refusal import consistent, render_refusal
from imi_cli.sync import pages
from imi_cli.sync.hubclient import CursorExpired
from imi_cli.sync.pages import apply_page

PUSH_BATCH = 500
PUSH_BYTES = 6 * 1024 * 1024
PULL_PAGE = 1000


@dataclass
class SyncReport:
    accepted: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    pulled: int = 0
    cursor: int = 0
    reseeded: bool = False
    skipped: list[dict[str, Any]] = field(default_factory=list)  # pulled, not applied: id, seq, type, reason
    privacy: dict[str, int] = field(default_factory=dict)  # the data-protection clock after the pull

    def as_dict(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "rejected": self.rejected, "pulled": self.pulled,
                "cursor": self.cursor, "reseeded": self.reseeded, "skipped": self.skipped}

    @staticmethod
    def told(rejected: dict[str, Any]) -> str:
        """Why the hub rejected an event (an entry of ``rejected``), in the interface language
        when the hub's message id and parameters say its English sentence; else as it wrote it."""
        return render_refusal(rejected.get("message") or "", rejected.get("msgid"), rejected.get("params"))


def push(store: Any, client: Any, report: SyncReport) -> None:
    while True:
        rows = store.query("SELECT e.id, e.body FROM outbox o JOIN events e ON e.id = o.event_id "
                           "WHERE o.state = 'pending' ORDER BY e.seq LIMIT ?", (PUSH_BATCH,))
        if not rows:
            return
        from imi_cli.log import redaction

        wire = _within_bytes(redaction.stored_wire(store.conn, rows))  # each body with its disclosures beside it
        results = client.push_texts(wire)  # (the stored texts as they are)
        _check_results(store, client, [event_id for event_id, _ in rows[:len(wire)]], results)
        if _record_results(store, results, report):
            rebuild(store)  # a rejected event no longer counts: replay the log without it


def _within_bytes(bodies: list[str]) -> list[str]:
    """The first events of a batch that fit in PUSH_BYTES (always at least one): events
    with attachments are large, and the hub takes at most 8 MB a request."""
    total, cut = 0, 0
    for body in bodies:
        total += len(body.encode("utf-8"))
        if cut and total > PUSH_BYTES:
            break
        cut += 1
    return bodies[:cut]


def _check_results(store: Any, client: Any, ids: list[str], results: list[dict[str, Any]]) -> None:
    """The hub's answer to a push, checked before anything of it is recorded: one result for
    each event pushed (``ids``), no other; a rejection with its reason and words as text; an
    acceptance with the operator's receipt for the event as sequenced (``log/receipts.proves``)
    under the key pinned at enrolment. Otherwise nothing is recorded: the events stay pending
    (pushed again, a hub that holds them answers with their receipts) and the user is told."""
    from imi_cli.errors import UsageError
    from imi_cli.i18n import t
    from imi_cli.log.receipts import first_unproven
    from imi_cli.sync.hubclient import not_a_hub

    operator_key = store.meta("operator_key")
    if not operator_key:  # (enrolment pins it: a store without one was never enrolled whole)
        raise UsageError(t("this store is not enrolled with a hub"),
                         hint=t("create one with `imi init --hub URL` (it asks for your invitation code)"))
    if sorted(r["id"] for r in results if isinstance(r["id"], str)) != sorted(ids) \
            or not all(r["status"] == "accepted" or r["status"] == "rejected" and _words(r) for r in results):
        raise not_a_hub(client.url, t("its answer to a push does not match the events pushed"))
    accepted = [(r["id"], r.get("seq"), r.get("receipt")) for r in results if r["status"] == "accepted"]
    if first_unproven(operator_key, accepted) is not None:
        raise not_a_hub(client.url, t("a receipt it gave does not verify against the operator key "
                                       "this store enrolled with"))


def _words(rejected: dict[str, Any]) -> bool:
    """A rejection's reason, and its sentence and message id if any, are text that can be kept
    (UTF-8: JSON can carry a lone surrogate), its parameters an object (its text kept too)."""
    texts = [rejected.get(key) for key in ("reason", "message", "msgid")]
    params = rejected.get("params")
    if not isinstance(texts[0], str) or not all(text is None or isinstance(text, str) for text in texts) \
            or not (params is None or isinstance(params, dict)):
        return False
    texts += [text for item in (params or {}).items() for text in item if isinstance(text, str)]
    return encodable("".join(text for text in texts if text is not None))


def _record_results(store: Any, results: list[dict[str, Any]], report: SyncReport) -> bool:
    from imi_cli.log.receipts import kept

    at = clock.iso(clock.now())
    with store.transaction() as conn:
        for r in results:
            if r["status"] == "accepted":
                conn.execute("UPDATE outbox SET state='accepted', receipt=?, updated_at=? WHERE event_id=?",
                             (canonical(kept(r["receipt"])), at, r["id"]))
                conn.execute("UPDATE events SET status='accepted', hub_seq=? WHERE id=?", (r["seq"], r["id"]))
                body = conn.execute("SELECT body FROM events WHERE id = ?", (r["id"],)).fetchone()[0]
                note_version(conn, json.loads(body), r["seq"])
                report.accepted += 1
            else:
                # the hub's message id and parameters, when they say its sentence, let the
                # refusal be told in the user's language (kept beside the English)
                message, worded = r.get("message"), {}
                if consistent(message, r.get("msgid"), r.get("params")):
                    worded = {"msgid": r["msgid"], "params": r["params"]}
                conn.execute("UPDATE outbox SET state='rejected', reason=?, detail=?, msgid=?, params=?, "
                             "updated_at=? WHERE event_id=?",
                             (r["reason"], message, worded.get("msgid"),
                              json.dumps(worded["params"]) if worded else None, at, r["id"]))
                conn.execute("UPDATE events SET status='rejected' WHERE id=?", (r["id"],))
                entity = conn.execute("SELECT entity FROM events WHERE id = ?",
                                      (r["id"],)).fetchone()
                report.rejected.append({"id": r["id"], "reason": r["reason"], "message": message, **worded,
                                        "entity": entity[0] if entity else None})
    return any(r["status"] != "accepted" for r in results)


def pull(store: Any, client: Any, report: SyncReport, *, wait: float = 0) -> None:
    if store.meta("cursor", "0") == "0" and PULL_PAGE >= pages.ELSEWHERE_AT_LEAST:
        pages._checker()  # a fresh node pulls the whole log: its checker starts while the hub answers
    while True:
        cursor = int(store.meta("cursor", "0"))
        try:
            page = client.pull(cursor, PULL_PAGE, wait=wait)
        except CursorExpired:
            report.reseeded = True  # what we hold stays; the start of the log fills any gap
            with store.transaction():
                store.set_meta("cursor", "0")
            continue
        events = page["events"]
        if events:
            report.skipped += apply_page(store, events)  # pulled, and recorded as not applied
            report.pulled += len(events)
        report.cursor = int(store.meta("cursor", "0"))
        if len(events) < PULL_PAGE:
            return
        wait = 0


def sync(store: Any, client: Any, *, wait: float = 0) -> SyncReport:
    from imi_cli.directory.minimal import settle
    from imi_cli.privacy.clock import run_if_due

    report = SyncReport()
    push(store, client, report)
    pull(store, client, report, wait=wait)
    with store.transaction() as conn:  # the minimal directory: drop names out of this store's reach
        settle(conn, store.meta("authority_id"))
    report.privacy = run_if_due(store)  # what was pulled may be past its blocking or erasure date
    return report


def watch(store: Any, client: Any, on_report: Callable[[SyncReport], None], *,
          wait: float = 20, rounds: int | None = None) -> None:
    """Keep syncing: long-poll the hub so new events arrive within a second or two."""
    from imi_cli.sync.hubclient import HubBusy

    done = 0
    while rounds is None or done < rounds:
        try:
            report = sync(store, client, wait=wait)
        except HubBusy as busy:  # too many polls or pushes of this user: wait as the hub asks
            time.sleep(busy.retry_after)
            done += 1
            continue
        if report.pulled or report.accepted or report.rejected:
            on_report(report)
        done += 1
        if rounds is None and not report.pulled:
            time.sleep(0.05)


def outbox(store: Any, state: str | None = None) -> list[dict[str, Any]]:
    """What this store has pushed or must push. ``detail`` is why the hub rejected an event, in
    its English (what --json shows); ``told(row)`` says it in the interface language; ``hint``,
    for an event rejected as stale, what to run now (``resend.next_step``)."""
    from imi_cli.sync.resend import next_step

    sql = ("SELECT o.event_id, e.type, e.entity, o.state, o.reason, o.detail, "
           "o.msgid, o.params, o.updated_at FROM outbox o JOIN events e ON e.id = o.event_id")
    params: tuple = ()
    if state:
        sql, params = sql + " WHERE o.state = ?", (state,)
    keys = ("id", "type", "entity", "state", "reason", "detail", "msgid", "params", "updated_at")
    rows = [dict(zip(keys, row, strict=True)) for row in store.query(sql + " ORDER BY e.seq", params)]
    for row in rows:
        if row["msgid"] is None:
            del row["msgid"], row["params"]
        else:
            row["params"] = stored_params(row["params"])
        hint = next_step(row["id"], row["reason"], row["entity"]) if row["state"] == "rejected" else None
        if hint:
            row["hint"] = hint
    return rows


def stored_params(text: str | None) -> dict[str, Any]:
    """The hub's refusal params an outbox row keeps (JSON text); {} for none or a damaged one."""
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def told(row: dict[str, Any]) -> str | None:
    """Why the hub rejected an outbox row's event, in the interface language when its message
    id and parameters say the hub's English sentence; else as the hub wrote it (None if none)."""
    detail = row.get("detail")
    if detail is None:
        return None
    return render_refusal(detail, row.get("msgid"), row.get("params"))
