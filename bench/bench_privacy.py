"""Data protection by the clock (issue 14) on a busy authority's store: the clock's check on
every command that opens a store, blocking and erasing many exchanges at once, a data
subject's search and the access log's write on `imi request show`, each beside its floor
measured in the same run. Prints figures; not a test.

    PYTHONPATH=$PWD .venv/bin/python bench/bench_privacy.py
        [BENCH_REQUESTS=10000 BENCH_DUE=1000 BENCH_RUNS=200 BENCH_REPROJECT=100]

The store: a real SQLCipher store of HU-AUTH (one user, request_handler and data_protection,
enrolled: it has a signing key, so the access log's events are signed and queued as on a
node), built directly as bench_inbox.py builds its own: authority, user and request events
appended and projected (no hub), each with the settable clock (``IMI_NOW``) at its own time.
BENCH_REQUESTS requests (half incoming, half outgoing) were sent at times spread evenly over
the five years before "now"; about 85 % were then closed or withdrawn, a few days to weeks
later. Each names its person in three personal fields, signed as digests with their
disclosures beside the event (the disclosures table): a name in one of the 26 IMI languages'
letters, a date of birth and an id number. Then the clock runs (not timed) 12 months before
"now", and at "now", as it would have run every day: what closed more than 6 months ago is
blocked, more than 36 months ago erased. The store at "now" is the steady state figures 1, 3
and 4 start from; figure 2 starts from a copy taken 12 months before.

Measured (in process; median and p95 of many runs, wall ms):
1. The clock on a store being opened when nothing is due: ``Store.open`` with the raw key,
   then ``privacy.clock.run_if_due`` (its one query, over every closed exchange) on that fresh
   connection — the cost the clock adds to every command. Floor: ``Store.open`` alone, and
   ``Store.open`` plus one trivial query (``SELECT count(*) FROM meta``). Also ``due`` on a
   connection already open (warm page cache).
2. After a long offline period: a copy of the store as its clock left it 12 months before
   "now" (nobody opened it since); the clock moves on until BENCH_DUE exchanges are due for
   blocking (about 7 months at 10,000 requests), or for erasure. ``apply_node`` on a copy with
   only the blocks due, and on another with only the erasures (its WAL checkpoint included,
   and timed apart): per exchange. Floors: as many plain projection updates (``UPDATE
   requests SET record``, one transaction), and ``redaction.reproject`` (the fold again from
   the log, which ``apply_node`` did once per exchange before it read the log once for many)
   on BENCH_REPROJECT of them, per exchange.
3. A data subject's search (``privacy.subjects.search``) by name, by name and date of birth,
   and for nobody: median and p95. Floors: the rows it reads fetched into Python (``SELECT
   entity, disclosure, blocked_at`` with its WHERE), and ``SELECT count(*) FROM disclosures``.
4. The access log's write on ``imi request show`` (``privacy.access.record``: a signed
   ``privacy.accessed`` event, appended, projected and queued). Floor: the request's view
   without it (``Requests.get`` + ``history`` + ``request_view``).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from synth import LANGUAGES, _word, machine  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "10000"))
DUE = int(os.environ.get("BENCH_DUE", "1000"))
AUTHORITIES = 500
NOW = dt.datetime(2031, 3, 1, 9, 0, tzinfo=dt.UTC)  # "now" of the steady state
YEARS = 5
PASSPHRASE = "benchmark passphrase"
ME, USER = "HU-AUTH", "hu.officer"
QUESTIONS = ["legally_established", "authorisation_status"]
SUBJECT = ("Nagy Béla", "1980-04-12")  # a person named in a few requests
NAMED = 12  # requests naming SUBJECT
# state -> (events after request.sent, weight)
PATHS = {"closed": (["accepted", "answered", "closed"], 78), "withdrawn": (["withdrawn"], 7),
         "answered": (["accepted", "answered"], 6), "accepted": (["accepted"], 5), "sent": ([], 4)}
OFFLINE = 12  # months: the clock of the store for figure 2 last ran this long before NOW
RUNS = int(os.environ.get("BENCH_RUNS", "200"))


def set_now(when: dt.datetime) -> None:
    os.environ["IMI_NOW"] = when.isoformat()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(fn, runs: int = RUNS) -> list[float]:
    """Milliseconds of each of ``runs`` calls (after one not counted)."""
    fn()
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


# -- the store ---------------------------------------------------------------------------------
def directory(rng: random.Random) -> list[dict[str, Any]]:
    from imi_cli.directory.records import check_authority
    from imi_cli.reference.countries import COUNTRIES

    raw = [{"id": ME, "country": "HU", "names": {"en": ME}, "languages": "en", "areas": "services",
            "email": "a@example.hu"}]
    for i in range(AUTHORITIES - 1):
        country = rng.choice([c for c in COUNTRIES if c != "HU"])
        raw.append({"id": f"{country}-SYN-{i:05d}", "country": country, "names": {"en": f"Authority {i}"},
                    "languages": "en", "areas": "services", "email": f"office{i}@example.eu"})
    return [check_authority(r, "bench", []) for r in raw]


def person(i: int, rng: random.Random) -> dict[str, str]:
    if i % (REQUESTS // NAMED) == 7:
        name, born = SUBJECT
    else:
        lang = rng.choice(LANGUAGES)
        name = f"{_word(rng, lang)} {_word(rng, lang)}"
        born = f"{rng.randint(1940, 2000)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return {"provider_name": name, "date_of_birth": born,
            "id_number": f"{rng.choice('ABCDEFGH')}{rng.choice('KLMNPRST')}-{rng.randint(0, 999_999):06d}"}


def build(path: Path) -> dict[str, int]:
    """The store at NOW, before the clock has run: every request appended at its own time."""
    from imi_cli.directory.records import check_user
    from imi_cli.log.crypto import new_private_key
    from imi_cli.log.event import make_event, uuid7
    from imi_cli.log.journal import append
    from imi_cli.log.store import Store

    rng = random.Random(14)
    set_now(NOW - dt.timedelta(days=365 * YEARS + 30))
    store = Store.create(path, PASSPHRASE)
    actor = {"user": USER, "authority": ME}
    records = directory(rng)
    others = [r["id"] for r in records if r["id"] != ME]
    counts = dict.fromkeys(PATHS, 0)
    span = (365 * YEARS) * 86400
    with store.transaction() as conn:
        append(conn, [make_event("authority.registered", actor=actor, payload={"authority": r},
                                 subject={"entity": f"authority/{r['id']}"}) for r in records])
        user = check_user({"id": USER, "name": "Officer", "email": "o@example.hu", "authority": ME,
                           "roles": "request_handler;data_protection"}, "bench", [])
        append(conn, [make_event("user.registered", actor=actor, payload={"user": user},
                                 subject={"entity": f"user/{USER}"})])
        states, weights = list(PATHS), [w for _, w in PATHS.values()]
        for i in range(REQUESTS):
            other = rng.choice(others)
            requester, responder = (other, ME) if i % 2 else (ME, other)
            sent = NOW - dt.timedelta(seconds=rng.randint(3600, span))
            state = rng.choices(states, weights)[0]
            steps, at = PATHS[state][0], sent
            times = [sent]
            for _ in steps:
                at += dt.timedelta(days=rng.randint(1, 20), seconds=rng.randint(0, 86399))
                times.append(at)
            if times[-1] >= NOW:  # not yet closed by now: still answered, or still sent
                state, steps, times = ("answered", ["accepted", "answered"], times[:3]) \
                    if state == "closed" and times[2] < NOW else ("sent", [], times[:1])
            counts[state] += 1
            content = {"area": "services", "requester": requester, "responder": responder,
                       "subject": f"Provider check {i}", "questionnaire": "services-verify-provider",
                       "qversion": "1.0", "questions": QUESTIONS,
                       "deadline": (sent + dt.timedelta(days=60)).date().isoformat(),
                       "person": person(i, rng), "comments": [], "attachments": []}
            subject = {"entity": f"request/{uuid7()}"}
            for step, when in zip(["sent", *steps], times, strict=True):
                payload = {"request": content} if step == "sent" else \
                    {"answers": {"legally_established": "yes", "authorisation_status": "valid"}, "lang": "hu",
                     "attachments": []} if step == "answered" else \
                    {"timeliness": 4, "quality": 5} if step == "closed" else {}
                set_now(when)
                append(conn, [make_event(f"request.{step}", actor=actor, payload=payload, subject=dict(subject))])
        for key, value in (("authority_id", ME), ("user_id", USER), ("private_key", new_private_key())):
            store.set_meta(key, value)
    store.close()
    set_now(NOW)
    return counts


def open_store(path: Path, key: bytes):
    from imi_cli.log.store import Store

    return Store.open(path, key)


def settle(path: Path, key: bytes, when: dt.datetime) -> tuple[int, int, float]:
    """The clock run at ``when``, as if it had run every day until then (not a figure)."""
    from imi_cli.privacy import clock

    store = open_store(path, key)
    started = time.perf_counter()
    done = clock.apply_node(store, when)
    seconds = time.perf_counter() - started
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    store.close()
    return done["blocked"], done["erased"], seconds


# -- 1. the clock on every store open -------------------------------------------------------------
def clock_at_open(path: Path, key: bytes) -> dict[str, list[float]]:
    from imi_cli.privacy import clock

    def bare() -> None:
        open_store(path, key).close()

    def trivial() -> None:
        store = open_store(path, key)
        store.conn.execute("SELECT count(*) FROM meta").fetchone()
        store.close()

    def with_clock() -> None:
        store = open_store(path, key)
        assert clock.run_if_due(store) == {"blocked": 0, "erased": 0}
        store.close()

    out: dict[str, list[float]] = {"open": [], "open + trivial query": [], "open + run_if_due": []}
    for fn in (bare, trivial, with_clock):
        fn()
    for _ in range(RUNS):  # interleaved: the three see the same machine
        for name, fn in zip(out, (bare, trivial, with_clock), strict=True):
            started = time.perf_counter()
            fn()
            out[name].append((time.perf_counter() - started) * 1000)
    store = open_store(path, key)
    out["due(), connection already open"] = timed(lambda: clock.due(store.conn))
    out["SELECT count(*) FROM meta, open"] = timed(lambda: store.conn.execute("SELECT count(*) FROM meta").fetchone())
    store.close()
    return out


# -- 2. many due at once --------------------------------------------------------------------------
def later_for(path: Path, key: bytes, action: str) -> tuple[dt.datetime, int]:
    """The first time at which DUE exchanges are due for ``action``, and how many of the other
    action are due then too."""
    from imi_cli.log import clock as log_clock
    from imi_cli.privacy import clock

    store = open_store(path, key)
    rows = [(e, a, c) for e, a, c in store.conn.execute(
        "SELECT 'request/' || t.id, t.area, CASE t.state WHEN 'closed' THEN t.closed_at ELSE t.last_activity END "
        "FROM requests t LEFT JOIN privacy_marks m ON m.entity = 'request/' || t.id "
        "WHERE t.state IN ('closed', 'withdrawn') AND m.erased_at IS NULL "
        + ("AND m.blocked_at IS NULL" if action == "block" else "AND m.blocked_at IS NOT NULL"))]
    column = 0 if action == "block" else 1
    whens = sorted(clock.dates(area, closed)[column] for _, area, closed in rows)
    later = log_clock.parse_instant(whens[DUE - 1]) + dt.timedelta(seconds=1)
    items = clock.due(store.conn, later)
    store.close()
    assert sum(i.action == action for i in items) == DUE and later <= NOW, (action, len(items), later)
    return later, sum(i.action != action for i in items)


def apply_only(path: Path, key: bytes, when: dt.datetime, action: str) -> dict[str, float]:
    """``apply_node`` at ``when`` with only the exchanges due for ``action`` (the other kind,
    due too after the same time offline, left for a run of their own); its WAL checkpoint
    (``scrub``) timed apart."""
    from imi_cli.privacy import clock

    real_due, real_scrub, scrubbed = clock.due, clock.scrub, []

    def only(conn: Any, now: dt.datetime | None = None) -> list[Any]:
        return [item for item in real_due(conn, now) if item.action == action]

    def timed_scrub(store: Any) -> None:
        wal = Path(f"{store.path}-wal")
        size = wal.stat().st_size if wal.exists() else 0
        started = time.perf_counter()
        real_scrub(store)
        scrubbed.extend([(time.perf_counter() - started) * 1000, size / 2**20])

    store = open_store(path, key)
    clock.due, clock.scrub = only, timed_scrub
    try:
        started = time.perf_counter()
        done = clock.apply_node(store, when)
        total = (time.perf_counter() - started) * 1000
    finally:
        clock.due, clock.scrub = real_due, real_scrub
    assert done["blocked" if action == "block" else "erased"] == DUE, done
    assert not clock.due(store.conn, when) or all(i.action != action for i in clock.due(store.conn, when))
    store.close()
    return {"total": total, "scrub": scrubbed[0] if scrubbed else 0.0, "wal_mib": scrubbed[1] if scrubbed else 0.0}


def projection_floors(path: Path, key: bytes, when: dt.datetime, sample: int) -> dict[str, float]:
    """Floors for DUE exchanges: as many plain projection updates (the request's record with its
    person replaced, one transaction), and ``redaction.reproject`` (the fold from the log) on
    ``sample`` of them, per exchange."""
    import json

    from imi_cli.log import redaction
    from imi_cli.privacy import clock

    store = open_store(path, key)
    ids = [i.entity.split("/", 1)[1] for i in clock.due(store.conn, when) if i.action == "block"][:DUE]
    started = time.perf_counter()
    with store.transaction() as conn:
        for rid in ids:
            record = json.loads(conn.execute("SELECT record FROM requests WHERE id = ?", (rid,)).fetchone()[0])
            record["person"] = {"_blocked": len(record["person"])}
            conn.execute("UPDATE requests SET record = ? WHERE id = ?", (json.dumps(record, ensure_ascii=False), rid))
    updates = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    with store.transaction() as conn:
        for rid in ids[:sample]:
            redaction.reproject(conn, f"request/{rid}")
    reproject = (time.perf_counter() - started) * 1000
    store.close()
    return {"updates": updates, "reproject_each": reproject / min(sample, len(ids))}


# -- 3. a data subject's search -------------------------------------------------------------------
SEARCHED = "FROM disclosures WHERE disclosure IS NOT NULL AND length(disclosure) < 20000 AND (entity LIKE " \
           "'request/%' OR entity LIKE 'alert/%' OR entity LIKE 'notification/%')"


def subject_search(path: Path, key: bytes) -> tuple[dict[str, list[float]], dict[str, int]]:
    from imi_cli.privacy import subjects

    store = open_store(path, key)
    conn = store.conn
    queries = {"by name": subjects.Query(name="nagy bela"),
               "by name and date of birth": subjects.Query(name="NAGY Béla", born="1980-04-12"),
               "nobody (no match)": subjects.Query(name="Nobody Atall")}
    runs = max(5, RUNS // 10)
    out, found = {}, {}
    for label, query in queries.items():
        found[label] = len(subjects.search(conn, query.check()))
        out[f"search {label}"] = timed(lambda q=query: subjects.search(conn, q), runs)
    out["floor: SELECT count(*) FROM disclosures"] = timed(
        lambda: conn.execute("SELECT count(*) FROM disclosures").fetchone(), runs)
    out["floor: the rows it reads, fetched"] = timed(
        lambda: conn.execute(f"SELECT entity, disclosure, blocked_at {SEARCHED}").fetchall(), runs)
    found["rows read"] = conn.execute(f"SELECT count(*) {SEARCHED}").fetchone()[0]
    found["disclosures"] = conn.execute("SELECT count(*) FROM disclosures").fetchone()[0]
    store.close()
    return out, found


# -- 4. the access log on `request show` ----------------------------------------------------------
def request_show(path: Path, key: bytes) -> dict[str, list[float]]:
    from imi_cli.exchanges.requests.render import request_view
    from imi_cli.exchanges.requests.service import Requests
    from imi_cli.privacy import access

    store = open_store(path, key)
    rid = store.conn.execute("SELECT id FROM requests WHERE state = 'answered' ORDER BY id LIMIT 1").fetchone()[0]
    requests = Requests(store)

    def view() -> None:
        request_view(requests.get(rid), requests.history(rid), "en")

    def view_logged() -> None:
        view()
        access.record(store, "request.show", entity=f"request/{rid}")

    out: dict[str, list[float]] = {"view": [], "view + access.record": []}
    view_logged()
    for _ in range(RUNS):
        for name, fn in zip(out, (view, view_logged), strict=True):
            started = time.perf_counter()
            fn()
            out[name].append((time.perf_counter() - started) * 1000)
    out["access.record alone"] = timed(lambda: access.record(store, "request.show", entity=f"request/{rid}"))
    logged = store.conn.execute("SELECT count(*) FROM access_log WHERE entity = ?", (f"request/{rid}",)).fetchone()[0]
    assert logged == 2 * RUNS + 2, logged
    store.close()
    return out


# -- the report -----------------------------------------------------------------------------------
def line(label: str, values: list[float], floor: list[float] | None = None, floor_label: str = "") -> str:
    text = f"  {label:<48} {statistics.median(values):8.2f} {percentile(values, 0.95):8.2f}"
    if floor:
        text += (f"   {floor_label:<34} {statistics.median(floor):7.2f} {percentile(floor, 0.95):7.2f}"
                 f"   +{statistics.median(values) - statistics.median(floor):.2f} ms")
    return text


def main() -> None:
    from imi_cli.log.store import derive_key, read_salt

    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder) / "authority.db"
        started = time.perf_counter()
        counts = build(base)
        print(f"built {REQUESTS:,} requests {counts} in {time.perf_counter() - started:.1f} s")
        key = derive_key(PASSPHRASE, read_salt(base))
        offline = Path(folder) / "offline.db"  # its clock last ran OFFLINE months before now
        for when, path in ((NOW - dt.timedelta(days=30 * OFFLINE), offline), (NOW, None)):
            blocked, erased, seconds = settle(base, key, when)
            print(f"the clock run at {when.date()}: {blocked:,} blocked, {erased:,} erased in {seconds:.1f} s "
                  f"({seconds / max(1, blocked + erased) * 1000:.2f} ms each, the WAL checkpoint included)")
            if path:
                shutil.copy(base, path)
        size = base.stat().st_size / 2**20

        opened = clock_at_open(base, key)
        searched, found = subject_search(base, key)

        later_b, also_e = later_for(offline, key, "block")
        later_e, also_b = later_for(offline, key, "erase")
        copy = Path(folder) / "copy.db"
        shutil.copy(offline, copy)
        blocking = apply_only(copy, key, later_b, "block")
        copy.unlink()
        shutil.copy(offline, copy)
        erasing = apply_only(copy, key, later_e, "erase")
        copy.unlink()
        shutil.copy(offline, copy)
        floors = projection_floors(copy, key, later_b, min(DUE, int(os.environ.get("BENCH_REPROJECT", "100"))))
        copy.unlink()

        shown = request_show(base, key)

    print(f"\nmachine: {machine()}; load {os.getloadavg()[0]:.2f}; store {size:.0f} MiB, {REQUESTS:,} requests, "
          f"{found['disclosures']:,} disclosures; now {NOW.date()}")
    print(f"{'':50} {'median':>8} {'p95':>8}   {'floor, same run':<34} {'median':>7} {'p95':>7}   added")
    print(f"1. the clock on opening the store, nothing due (ms, {RUNS} runs each, interleaved)")
    print(line("Store.open + run_if_due", opened["open + run_if_due"], opened["open"], "Store.open (raw key)"))
    print(line("", opened["open + run_if_due"], opened["open + trivial query"], "Store.open + a trivial query"))
    print(line("due() on an open connection (warm cache)", opened["due(), connection already open"],
               opened["SELECT count(*) FROM meta, open"], "a trivial query, open"))
    ratio = statistics.median(opened["open + run_if_due"]) / statistics.median(opened["open"])
    print(f"  store open with the clock: {ratio:.1f}x a raw keyed open (DESIGN.md: <= 1.5x): "
          f"{'met' if ratio <= 1.5 else 'MISSED'}")
    print(f"2. {DUE:,} exchanges due at once, after a long offline period (ms per exchange; whole run)")
    rows = [(f"apply_node, {DUE:,} blocks ({later_b.date()})", blocking["total"]),
            (f"apply_node, {DUE:,} erasures ({later_e.date()})", erasing["total"]),
            ("  of it the WAL checkpoint (scrub)", erasing["scrub"]),
            (f"floor: {DUE:,} plain projection updates", floors["updates"])]
    for label, total in rows:
        print(f"  {label:<48} {total / DUE:8.3f} {'':8}   {total / 1000:.2f} s")
    print(f"  {'floor: redaction.reproject (by the index)':<48} {floors['reproject_each']:8.3f}")
    print(f"  (due then too, left out: {also_e:,} erasures at the first, {also_b:,} blocks at the second; "
          f"{erasing['wal_mib']:.1f} MiB of WAL checkpointed)")
    print(f"3. a data subject's search over {found['rows read']:,} disclosures held "
          f"(ms, {max(5, RUNS // 10)} runs each)")
    for label in ("by name", "by name and date of birth", "nobody (no match)"):
        print(line(f"search {label} ({found[label]} found)", searched[f"search {label}"],
                   searched["floor: the rows it reads, fetched"], "the rows it reads, fetched"))
    print(line("", searched["search by name"], searched["floor: SELECT count(*) FROM disclosures"],
               "SELECT count(*) FROM disclosures"))
    print(f"4. the access log on `request show` (ms, {RUNS} runs each, interleaved)")
    print(line("view + access.record", shown["view + access.record"], shown["view"], "the request's view alone"))
    print(line("access.record alone", shown["access.record alone"]))

if __name__ == "__main__":
    main()
