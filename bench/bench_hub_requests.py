"""Request traffic at a hub: a batched push of `request.answered` events, and an empty pull
from a hub holding 50,000 open requests. Prints figures beside floors of the same run; not a test.

    PYTHONPATH=$PWD .venv/bin/python bench/bench_hub_requests.py [--quick] [--answers 1000] [--open 1000,10000,50000]

The hub runs as `imi hub serve` in its own process on loopback (this checkout's imi_cli, by
PYTHONPATH). Setting up is not timed and goes around the slow paths: the hub's log is filled
directly (as ``tests/hub/conftest.py::fill`` does) with signed `request.drafted` and
`request.sent` events from HU-AUTH, and `request.accepted` from IE-AUTH for the first
``--answers`` of them (the others go to IE-OTHER and stay open); the hub's reminders are made
in the same set-up. The responder's node then syncs once, writes its answers in one
transaction (the node's pipeline checks each one, as `imi request answer` would), and only
their push is timed: batches of 500 (the sync's batch), each answer verified, checked by the
rules (state, side, role, answers against the question set), sequenced, projected and
receipted by the hub.

The empty pull is timed at each size of the hub (1,000, 10,000 and 50,000 open requests: it
grows between them), when nothing moved since the last pull, after another node's push and
after the clock's minute moved (the hub checks then what fell due), beside the events query.

Targets (DESIGN.md, "How fast"): answers >= 1,000 events/s; empty pull <= 2 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_hub import PASS, Bench, floor_verify  # noqa: E402
from synth import machine  # noqa: E402

AREA, QSET, QVERSION = "services", "services-verify-provider", "1.0"
QUESTIONS = ["legally_established", "authorisation_status"]
TARGET_ANSWERS, TARGET_PULL_MS = 1000, 2.0


def answers() -> dict:
    from imi_cli.questionnaires.registry import catalogs

    qset = catalogs().get(QSET, QVERSION)
    return {"legally_established": "yes", "authorisation_status": qset.choice_lists["authorisation_status"][0].code}


def register(b: Bench, nco, country: str, ids: list[str], handler: str | None):
    """Authorities of ``country`` registered by its coordinator's node; a request handler for
    the first, enrolled as a node of its own."""
    from imi_cli.directory.authorities import Directory
    from imi_cli.directory.users import Users

    Directory(nco).register_authorities([("bench", {
        "id": ident, "country": country, "names": {"en": ident}, "languages": "en", "areas": AREA,
        "email": f"{ident.lower()}@example.eu"}) for ident in ids])
    report = Users(nco).register([("bench", {"id": handler, "name": handler, "email": f"{handler}@example.eu",
                                             "authority": ids[0], "roles": "request_handler"})])
    b.sync(nco)
    return b.node(handler, report.invitations[handler])


def request_events(hu, ie, n_open: int, n_answered: int) -> list[dict]:
    """Signed events of n_open requests from HU-AUTH: drafted and sent, and accepted by IE-AUTH
    for the first n_answered (the others go to IE-OTHER)."""
    from imi_cli.log import clock
    from imi_cli.log.crypto import Signer
    from imi_cli.log.event import make_event, uuid7

    rng = random.Random(9)
    today = clock.now().date()
    hu_signer = Signer("hu.handler", hu.meta("private_key"))
    ie_signer = Signer("ie.handler", ie.meta("private_key"))
    hu_actor = {"user": "hu.handler", "authority": "HU-AUTH"}
    ie_actor = {"user": "ie.handler", "authority": "IE-AUTH"}
    out = []
    for i in range(n_open):
        responder = "IE-AUTH" if i < n_answered else "IE-OTHER"
        deadline = (today + dt.timedelta(days=rng.randint(-30, 90) if i >= n_answered else 60)).isoformat()
        content = {"area": AREA, "requester": "HU-AUTH", "responder": responder, "subject": f"Provider check {i}",
                   "questionnaire": QSET, "qversion": QVERSION, "questions": QUESTIONS, "deadline": deadline,
                   "person": {"provider_name": f"Provider {i}"}, "comments": [], "attachments": []}
        entity = f"request/{uuid7()}"
        both = sorted({"HU-AUTH", responder, "coordinators:HU-AUTH", f"coordinators:{responder}"})
        out.append(hu_signer.sign_event(make_event(
            "request.drafted", actor=hu_actor, payload={"request": content},
            audience=["HU-AUTH", "coordinators:HU-AUTH"], subject={"entity": entity, "version": 0})))
        out.append(hu_signer.sign_event(make_event(
            "request.sent", actor=hu_actor, payload={"request": content}, audience=both,
            subject={"entity": entity, "version": 0})))
        if i < n_answered:
            out.append(ie_signer.sign_event(make_event(
                "request.accepted", actor=ie_actor, payload={}, audience=both,
                subject={"entity": entity, "version": 0})))
    return out


def fill(b: Bench, events: list[dict]) -> tuple[float, int]:
    """Sequence the events straight into the hub's log (the hub stopped), then let it make the
    reminders that are due. Returns seconds taken and reminders made."""
    from imi_cli.exchanges.requests.reminders import issue
    from imi_cli.hub.state import Hub
    from imi_cli.log.store import Store, derive_key, read_salt
    from imi_cli.protocol import audience, pipeline
    from imi_cli.protocol.view import RulesView

    b.stop_hub()
    path = b.workdir / "hub.db"
    hub = Hub(Store.open(path, derive_key(PASS, read_salt(path))))
    t = time.perf_counter()
    with hub.lock, hub.store.transaction() as conn:
        view = RulesView(conn, at_hub=True)
        for event in events:
            hub._insert(conn, event, audience.expand(view, pipeline.audience_of(view, event)))
    reminders = issue(hub)
    elapsed = time.perf_counter() - t
    hub.store.close()
    b.start_hub()
    return elapsed, reminders


def write_answers(ie, n: int) -> tuple[float, list[dict]]:
    """The responder answers its n accepted requests in one transaction: each answered event
    checked by the node's pipeline, signed and queued. Returns seconds and the queued events."""
    import json

    from imi_cli.log.event import make_event
    from imi_cli.log.journal import append

    values = answers()
    actor = {"user": "ie.handler", "authority": "IE-AUTH"}
    rows = ie.query("SELECT id, requester, responder FROM requests WHERE state = 'accepted' AND responder = 'IE-AUTH'")
    assert len(rows) == n, (len(rows), n)
    events = [make_event("request.answered", actor=actor, payload={"answers": values, "lang": "en", "attachments": []},
                         audience=sorted({req, resp, f"coordinators:{req}", f"coordinators:{resp}"}),
                         subject={"entity": f"request/{rid}"}) for rid, req, resp in rows]
    t = time.perf_counter()
    with ie.transaction() as conn:
        append(conn, events)
    elapsed = time.perf_counter() - t
    bodies = ie.query("SELECT e.body FROM outbox o JOIN events e ON e.id = o.event_id "
                      "WHERE o.state = 'pending' ORDER BY e.seq")
    return elapsed, [json.loads(body) for (body,) in bodies]


def push_answers(ie, events: list[dict], batch: int) -> tuple[float, float]:
    """Push the first answer alone (the hub process loads its question sets on the first
    answer it checks, once), then time the rest in batches. Returns (first push's seconds,
    events/s of the rest)."""
    from imi_cli.sync.enrolment import client_for

    with client_for(ie) as client:
        t = time.perf_counter()
        (first,) = client.push(events[:1])
        assert first["status"] == "accepted", first
        warm = time.perf_counter() - t
        t = time.perf_counter()
        for start in range(1, len(events), batch):
            results = client.push(events[start:start + batch])
            refused = [r for r in results if r["status"] != "accepted"]
            assert not refused, refused[:2]
        return warm, (len(events) - 1) / (time.perf_counter() - t)


def profile_accept(b: Bench, events: list[dict], batch: int) -> None:
    """--profile: the hub's accept of the answers in this process, under cProfile (the hub stopped)."""
    import cProfile
    import pstats

    from imi_cli.hub.state import Hub
    from imi_cli.log.store import Store, derive_key, read_salt

    b.stop_hub()
    path = b.workdir / "hub.db"
    hub = Hub(Store.open(path, derive_key(PASS, read_salt(path))))
    profiler = cProfile.Profile()
    t = time.perf_counter()
    profiler.enable()
    for start in range(0, len(events), batch):
        results = hub.accept(events[start:start + batch], events[0]["signature"]["by"])
        assert all(r["status"] == "accepted" for r in results), results[:2]
    profiler.disable()
    print(f"in process, profiled: {len(events) / (time.perf_counter() - t):,.0f} events/s")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
    hub.store.close()
    b.start_hub()


def empty_pulls(b: Bench, store, sender, rounds: int) -> dict[str, float]:
    """Median ms of an empty pull by ``store``'s node, four ways: a whole signed GET over HTTP
    as `imi sync` makes it (floor: an unsigned GET /v1/info on the same connection); and the
    hub's own work for it (``Hub.wait_for``, in this process, the hub stopped) when nothing
    moved since the last pull, after another node's push (``sender`` pushes a message that is
    not for this node), and after the clock's minute moved (IMI_NOW a minute on each time).
    Floor of those: the events query alone (``Hub.events_for``)."""
    from bench_hub import messages

    from imi_cli.hub.state import Hub
    from imi_cli.log import clock
    from imi_cli.log.store import Store, derive_key, read_salt
    from imi_cli.sync.enrolment import client_for

    b.sync(store)
    cursor = int(store.meta("cursor"))
    authority = store.meta("authority_id")
    http, floor = [], []
    with client_for(store) as client:
        client.pull(cursor)
        for _ in range(rounds):
            t = time.perf_counter()
            page = client.pull(cursor)
            http.append(time.perf_counter() - t)
            assert not page["events"], len(page["events"])
            t = time.perf_counter()
            client.info()
            floor.append(time.perf_counter() - t)
    b.stop_hub()
    path = b.workdir / "hub.db"
    hub = Hub(Store.open(path, derive_key(PASS, read_salt(path))))
    pusher = sender.meta("user_id")
    to = sender.meta("authority_id")  # a message within the sender's own authority: not for ``store``
    quiet, arrival, minute, query = [], [], [], []

    def timed(into: list[float]) -> None:
        t = time.perf_counter()
        rows = hub.wait_for(authority, cursor, 1000, 0)
        into.append(time.perf_counter() - t)
        assert not rows, len(rows)

    timed([])  # the first check after a start does everything
    for _ in range(rounds):
        timed(quiet)
        t = time.perf_counter()
        assert not hub.events_for(authority, cursor, 1000)
        query.append(time.perf_counter() - t)
    for event in messages(sender, to, rounds):
        (result,) = hub.accept([event], pusher)
        assert result["status"] == "accepted", result
        timed(arrival)
    before = os.environ.get("IMI_NOW")
    start = clock.now()
    try:
        for i in range(rounds):
            os.environ["IMI_NOW"] = clock.iso(start + dt.timedelta(minutes=i + 1))
            timed(minute)
    finally:
        os.environ.pop("IMI_NOW") if before is None else os.environ.__setitem__("IMI_NOW", before)
    hub.store.close()
    b.start_hub()
    ms = lambda xs: statistics.median(xs) * 1000  # noqa: E731
    return {"http": ms(http), "info": ms(floor), "quiet": ms(quiet), "arrival": ms(arrival),
            "minute": ms(minute), "query": ms(query)}


def main() -> int:
    from figures import record
    from synth import ensure_bytecode

    ensure_bytecode()
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes (< 30 s), for run_all.py")
    parser.add_argument("--answers", type=int, default=None, help="answers pushed (default 1,000)")
    parser.add_argument("--open", default=None, help="open requests at the hub, sizes (default 1000,10000,50000)")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--pulls", type=int, default=None, help="empty pulls to time (default 50)")
    parser.add_argument("--profile", action="store_true", help="profile the hub's accept in process instead")
    args = parser.parse_args()
    sizes = sorted(int(x) for x in (args.open or ("300,600,1200" if args.quick else "1000,10000,50000")).split(","))
    n_answers = args.answers or (200 if args.quick else 1000)
    pulls = args.pulls or (15 if args.quick else 50)
    assert n_answers <= sizes[0], "the answered requests are among the first size's"
    load = os.getloadavg()
    pull_figures: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        verify_before = floor_verify()
        b = Bench(workdir)
        try:
            hu_nco = b.node("hu-nco", b.codes["HU"])
            ie_nco = b.node("ie-nco", b.codes["IE"])
            hu = register(b, hu_nco, "HU", ["HU-AUTH"], "hu.handler")
            ie = register(b, ie_nco, "IE", ["IE-AUTH", "IE-OTHER"], "ie.handler")
            t = time.perf_counter()
            events = request_events(hu, ie, sizes[-1], n_answers)
            signed = time.perf_counter() - t
            print(f"set-up: {len(events):,} events signed in {signed:.1f} s", flush=True)
            per_request = [3 if i < n_answers else 2 for i in range(sizes[-1])]
            done = 0
            for size in sizes:  # the hub grows: each size adds the requests after the last one's
                first = sum(per_request[:done])
                last = sum(per_request[:size])
                filled, reminders = fill(b, events[first:last])
                done = size
                print(f"set-up: {size:,} open requests, sequenced in {filled:.1f} s with {reminders:,} reminders",
                      flush=True)
                if size == sizes[0]:
                    report = b.sync(ie)
                    print(f"set-up: responder pulled {report.pulled:,} events", flush=True)
                pull_figures[size] = empty_pulls(b, ie, hu, pulls)
                print(f"empty pull at {size:,} open requests: " + ", ".join(
                    f"{k} {v:.2f} ms" for k, v in pull_figures[size].items()), flush=True)
            node_s, queued = write_answers(ie, n_answers)
            verify_mid = floor_verify()
            if args.profile:
                profile_accept(b, queued, args.batch)
                return 0
            warm, rate = push_answers(ie, queued, args.batch)
            verify_after = floor_verify()
            for store in (hu_nco, ie_nco, hu, ie):
                store.close()
        finally:
            b.stop_hub()
    verify = statistics.median([verify_before, verify_mid, verify_after])
    print(f"machine: {machine()}; load average before {load[0]:.2f} / {load[1]:.2f}, "
          f"after {os.getloadavg()[0]:.2f}")
    print(f"floor: raw Ed25519 verify                        {verify:9,.0f} /s "
          f"(before {verify_before:,.0f}, mid {verify_mid:,.0f}, after {verify_after:,.0f})")
    print(f"node: {n_answers:,} answers checked by the pipeline, signed, queued  {n_answers / node_s:9,.0f} /s")
    print(f"first answer pushed alone (the hub loads its question sets once)  {warm * 1000:.0f} ms")
    print(f"push of {len(queued) - 1:,} request.answered, batches of {args.batch}  {rate:9,.0f} events/s  "
          f"{rate / verify:.2f}x verify  (target >= {TARGET_ANSWERS:,}/s: "
          f"{'met' if rate >= TARGET_ANSWERS else 'MISSED'})")
    bench = "bench_hub_requests"
    around = (verify_mid + verify_after) / 2  # measured just before and just after the push
    print(f"push of answers beside the verify floor around it ({around:,.0f}/s): {rate / around:.2f}x")
    record(bench, "push of request.answered, batched", rate, "/s", floor=around,
           floor_name="raw Ed25519 verify, just before and after", ratio=rate / around,
           target=f">= {TARGET_ANSWERS:,}/s", met=rate >= TARGET_ANSWERS,
           size=f"{len(queued) - 1:,} answers, {sizes[-1]:,} open requests")
    for size in sizes:
        f = pull_figures[size]
        where = f"{size:,} open requests"
        print(f"empty pull, {where} (median of {pulls}):")
        print(f"  whole signed GET over HTTP                     {f['http']:9.2f} ms  "
              f"(floor: unsigned GET /v1/info {f['info']:.2f} ms)")
        print(f"  the hub's work, nothing moved                  {f['quiet']:9.2f} ms")
        print(f"  the hub's work, after another node's push      {f['arrival']:9.2f} ms")
        print(f"  the hub's work, after the clock's minute moved {f['minute']:9.2f} ms")
        print(f"  floor: the events query alone                  {f['query']:9.2f} ms")
        for key, measure in (("quiet", "empty pull, the hub's work, nothing new since the last"),
                             ("arrival", "empty pull, the hub's work, after another node's push"),
                             ("minute", "empty pull, the hub's work, after the clock's minute moved")):
            record(bench, measure, f[key], "ms", floor=f["query"], floor_name="the events query",
                   target=f"<= {TARGET_PULL_MS:g} ms", met=f[key] <= TARGET_PULL_MS, size=where)
        record(bench, "empty pull, whole signed GET over HTTP", f["http"], "ms", floor=f["info"],
               floor_name="unsigned GET /v1/info", target=f"<= {TARGET_PULL_MS:g} ms",
               met=f["http"] <= TARGET_PULL_MS, size=where)
    return 0


if __name__ == "__main__":
    sys.exit(main())
