"""Notification dissemination: one services notification broadcast, disseminated by the 30
national coordinators to 500 authorities, then 200 comments on it, until every store holds
all of it; one request to one authority is the floor, in the same run. Prints figures; not
a test.

    PYTHONPATH=$PWD .venv/bin/python bench/bench_notifications.py [--comments 200] [--workers 2]

The network: a hub (``BackgroundHub``, in this process, on loopback); the 30 IMI countries,
each with its national coordinator (user with the role ``coordinator``) and 16 or 17
authorities in services (500 in all), each with one user and its own store; the Commission
(EU-COM, country EU, invited by the operator); the notifying authority IT-NOTIFY (user
``notification_handler``, ``request_handler``). 532 real SQLCipher stores enrolled with the
hub. Setting up is not timed and takes fast paths: each coordinator registers its country's
authorities and users in one bulk registration; the stores' passphrase key derivation is cut
short (nothing measured derives a key: the stores are opened with the raw key, as after `imi
unlock`); one store pulls the directory and every store is a copy of it with its own identity
(see ``build``); each process makes httpx's SSL context once (see ``reuse_ssl_context``).

How convergence is measured. 532 stores cannot each keep a process watching on 2 cores, so
each store syncs *once* when its turn comes, as `imi sync` would (open the store, make the
hub client, push, pull, apply, close), in a pool of ``--workers`` processes (each takes its
share of the stores in turn; none is this process, which runs the hub). The figures are:
- the hub's own work, timed on this instance (its ``accept``, ``react`` and ``events_for``
  wrapped): checking and sequencing each push (audience expanded to the holders), making the
  delivery events, answering each pull;
- each store's cost for its sync (wall and CPU of its process), median / p95 / max;
- the wall time until the last store holds it all (the pool working through every store:
  on 2 cores this is about the stores' summed cost over the cores, the system's cost here,
  not what 500 machines syncing at once would see).
A store counts once its sync has returned and its own table shows the notification (a) or
200 comments (b).

(a) IT-NOTIFY drafts and broadcasts one services-notification (push from this process);
the 30 national coordinators and the Commission pull it; each coordinator disseminates it to
all its country's authorities and pushes (one dissemination per country); the hub delivers it
to them at once; the 500 authorities pull. (b) 200 comments, from holders spread over the
countries (each its own store: comment, then push only), then every one of the 532 stores syncs
once and must hold 200 comments (the hub's table too). Floor: one request
(services-verify-provider) from IT-NOTIFY to one authority, pushed and pulled the same way
(three of them: before (a), between (a) and (b), after (b)). Before the figures, every store
syncs once with nothing to pull (checked): the pool's processes are warm, and that idle sync
is a figure too. ``--profile`` profiles the pool's convergence syncs of (b) and prints
where their time goes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

PASS = "bench passphrase 123"
AREA = "services"
NOTIFIER_COUNTRY = "IT"
NOTIFIER = f"{NOTIFIER_COUNTRY}-NOTIFY"
ANSWERS = {"requirement_type": ["quantitative_territorial"], "service_activity": "Guide turistiche",
           "measure_title": "Numero massimo di guide per provincia", "non_discriminatory": "yes",
           "justification": "Tutela del patrimonio culturale", "proportionality": "Misura limitata nel tempo",
           "entry_into_force": "2027-03-01", "draft_text": "bozza.pdf"}
COMMENT_SQL = "SELECT count(*) FROM notification_comments WHERE notification_id = ?"


def reuse_ssl_context() -> float:
    """Every ``HubClient`` makes an httpx client, which makes an SSL context and loads the CA
    bundle (about 50 ms) even for the loopback's http:// URL; an `imi sync` process makes one
    per run. Here each process makes one and reuses it, so that the stores' figures are their
    syncs' (the cost is printed apart). Returns what making one took, in ms."""
    import httpx._transports.default as transport

    t = time.perf_counter()
    context = transport.create_ssl_context()
    made = (time.perf_counter() - t) * 1000
    transport.create_ssl_context = lambda *args, **kw: context
    return made


# -- the pool's processes -------------------------------------------------------------------
def _sync(store):
    from imi_cli.sync.enrolment import client_for
    from imi_cli.sync.session import sync

    t = time.monotonic()
    client = client_for(store)
    made = time.monotonic() - t
    with client:
        return sync(store, client), made


def _push(store):
    """Push what the store has made, pull nothing (the comments of (b): the stores pull after)."""
    from imi_cli.sync.enrolment import client_for
    from imi_cli.sync.session import SyncReport, push

    t = time.monotonic()
    client = client_for(store)
    made = time.monotonic() - t
    report = SyncReport()
    with client:
        push(store, client, report)
    return report, made


def _one(item: dict, nid: str | None) -> dict:
    """One store's turn: open it, act (disseminate, comment), sync, read what it holds."""
    from imi_cli.log.store import Store

    t0, c0 = time.monotonic(), time.process_time()
    store = Store.open(Path(item["path"]), bytes.fromhex(item["key"]))
    opened = time.monotonic() - t0
    try:
        if item.get("to"):
            from imi_cli.exchanges.notifications.service import Notifications
            Notifications(store).disseminate(nid, item["to"])
        if item.get("comment"):
            from imi_cli.exchanges.notifications.service import Notifications
            Notifications(store).comment(nid, item["comment"], "en")
        t1 = time.monotonic()
        if item.get("push_only"):
            report, client = _push(store)
        else:
            report, client = _sync(store)
        synced = time.monotonic() - t1
        if report.rejected or report.skipped:
            raise RuntimeError(f"{item['path']}: rejected {report.rejected}, skipped {report.skipped}")
        value = None
        if item.get("sql"):
            rows = store.query(item["sql"], tuple(item.get("args", ())))
            value = rows[0][0] if rows else None
    finally:
        store.close()
    return {"path": item["path"], "start": t0, "end": time.monotonic(), "cpu": time.process_time() - c0,
            "open": opened, "client": client, "sync": synced, "pushed": report.accepted,
            "pulled": report.pulled, "value": value}


def worker() -> int:
    """A pool process: reads a job (JSON) per line, answers with one line of results."""
    import cProfile
    import io
    import pstats

    reuse_ssl_context()
    for line in sys.stdin:
        job = json.loads(line)
        profiler = cProfile.Profile() if job.get("profile") else None
        if profiler:
            profiler.enable()
        try:
            results = [_one(item, job.get("nid")) for item in job["items"]]
            answer: dict = {"results": results}
        except Exception as exc:  # told to the main process, which stops
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        if profiler:
            profiler.disable()
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats("cumulative").print_stats(28)
            stats.sort_stats("tottime").print_stats(18)
            answer["profile"] = out.getvalue()
        print(json.dumps(answer), flush=True)
    return 0


class Pool:
    """``n`` processes, each syncing its share of the stores one after the other."""

    def __init__(self, n: int, env: dict[str, str]) -> None:
        self.procs = [subprocess.Popen([sys.executable, __file__, "--worker"], env=env, text=True,
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE) for _ in range(n)]

    def cpu(self) -> float:
        ticks = 0
        for proc in self.procs:
            with open(f"/proc/{proc.pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def run(self, items: list[dict], nid: str | None = None, profile: bool = False) -> dict:
        """Every item, shared out in turn; the results in the items' order, the wall time, the
        pool's CPU and (``profile``) each process's profile."""
        n = len(self.procs)
        shares = [items[i::n] for i in range(n)]
        cpu, own, t = self.cpu(), time.process_time(), time.monotonic()
        for proc, share in zip(self.procs, shares, strict=True):
            proc.stdin.write(json.dumps({"items": share, "nid": nid, "profile": profile}) + "\n")
            proc.stdin.flush()
        answers = [json.loads(proc.stdout.readline() or '{"error": "the process ended"}') for proc in self.procs]
        wall = time.monotonic() - t
        for answer in answers:
            if "error" in answer:
                raise RuntimeError(f"a pool process failed: {answer['error']}")
        results: list[dict] = [{}] * len(items)
        for i, answer in enumerate(answers):
            for j, r in enumerate(answer["results"]):
                results[i + j * n] = r
        return {"results": results, "wall": wall, "start": t, "cpu": self.cpu() - cpu,
                "hub_cpu": time.process_time() - own,
                "profiles": [a.get("profile") for a in answers]}

    def stop(self) -> None:
        for proc in self.procs:
            proc.stdin.close()
        for proc in self.procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


# -- the hub, seen from here -------------------------------------------------------------------
class Probe:
    """The hub's work on this instance: each accepted push, each reaction (deliveries), each
    query answering a pull, as (start, end, detail)."""

    def __init__(self, hub) -> None:
        import threading

        self.profiler = None  # a cProfile.Profile: the hub's accepts are profiled while set
        self._one_at_a_time = threading.Lock()
        self.accepts: list[tuple[float, float, int]] = []
        self.reacts: list[tuple[float, float, int]] = []
        self.queries: list[tuple[float, float, int]] = []
        for name, log, size in (("accept", self.accepts, len), ("react", self.reacts, int),
                                ("events_for", self.queries, len)):
            self._wrap(hub, name, log, size)

    def _wrap(self, hub, name: str, log: list, size) -> None:
        inner = getattr(hub, name)

        def timed(*args, **kw):
            t = time.monotonic()
            if self.profiler is not None and name == "accept":
                with self._one_at_a_time:
                    out = self.profiler.runcall(inner, *args, **kw)
            else:
                out = inner(*args, **kw)
            log.append((t, time.monotonic(), size(out)))
            return out

        setattr(hub, name, timed)

    def mark(self) -> tuple[int, int, int]:
        return len(self.accepts), len(self.reacts), len(self.queries)

    def since(self, mark: tuple[int, int, int]) -> dict:
        a, r, q = (log[m:] for log, m in zip((self.accepts, self.reacts, self.queries), mark, strict=True))
        return {"accept": sum(e - s for s, e, _ in a), "accepts": len(a),
                "react": sum(e - s for s, e, _ in r), "delivered": sum(n for *_, n in r),
                "query": sum(e - s for s, e, _ in q), "queries": len(q), "rows": sum(n for *_, n in q)}


# -- the network ---------------------------------------------------------------------------
class Identity:
    """What enrolment records (the hub's URL, the user, its key ...), kept aside: the store is
    made afterwards, as a copy of one that holds the directory (see ``build``)."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def meta(self, name: str, default=None):
        return self.values.get(name, default)

    def set_meta(self, name: str, value: str) -> None:
        self.values[name] = value

    def transaction(self):
        import contextlib

        return contextlib.nullcontext()


def enrolled(url: str, code: str) -> Identity:
    from imi_cli.sync.enrolment import enrol

    who = Identity()
    enrol(who, url, code)
    return who


def country_rows(c: str, count: int) -> tuple[list[dict], list[dict]]:
    """A country's ``count`` authorities in services, a user each (and, in the notifier's
    country, the notifying authority and its user)."""
    low = c.lower()
    auths = [{"id": f"{c}-SVC{k:02d}", "country": c, "names": {"en": f"Services authority {k} of {c}"},
              "languages": "en", "areas": AREA, "competences": f"services sector {k}",
              "email": f"svc{k}@example.{low}"} for k in range(1, count + 1)]
    users = [{"id": f"{low}.svc{k:02d}", "name": f"Official {k} {c}", "email": f"official{k}@example.{low}",
              "authority": a["id"], "roles": "request_handler"} for k, a in enumerate(auths, 1)]
    if c == NOTIFIER_COUNTRY:
        auths.append({"id": NOTIFIER, "country": c, "names": {"en": f"Notifying ministry {c}"}, "languages": "en",
                      "areas": AREA, "competences": "services notifications", "email": f"notify@example.{low}"})
        users.append({"id": f"{low}.notifier", "name": f"Notifier {c}", "email": f"notifier@example.{low}",
                      "authority": NOTIFIER, "roles": "notification_handler;request_handler"})
    return auths, users


def build(hub, url: str, workdir: Path, total: int) -> tuple[dict[str, Path], bytes, dict[str, list[str]]]:
    """Registers everyone and makes every store; returns their paths by authority, their key
    and each country's authorities.

    The operator invites the 30 coordinators and the Commission; each coordinator's store
    (a real one) pulls, registers its country's authorities and users in bulk and pushes;
    every user enrols (its own key pair, through the hub). Then one store pulls the whole
    directory for real (every event of it is addressed to the whole network, so every store
    would pull the same ones) and each of the 532 stores is a copy of it with its own
    identity (hub, user, authority, key), as a store re-seeded from the hub would be. Set-up
    only: pulling the directory 532 times (about 1,600 events each, about 1 ms apiece)
    would take some 15 minutes here. The idle sync that follows must pull nothing."""
    import shutil

    from imi_cli.directory.authorities import Directory
    from imi_cli.directory.invitations import coordinator_records
    from imi_cli.directory.users import Users
    from imi_cli.log.store import Store, derive_key, read_salt
    from imi_cli.reference.countries import COUNTRIES
    from imi_cli.sync.enrolment import client_for, enrol
    from imi_cli.sync.session import SyncReport, push

    countries = sorted(COUNTRIES)
    codes, t = {}, time.monotonic()
    for c in countries:
        low = c.lower()
        record, user = coordinator_records(f"{c}-NCO", c, f"NCO {c}", "en", "en", AREA, f"imi@example.{low}",
                                           f"{low}.coord", f"Coordinator {c}", f"coord@example.{low}")
        codes[f"{c}-NCO"] = hub.invite_coordinator(record, user)
    record, user = coordinator_records("EU-COM", "EU", "European Commission", "en", "en;fr", AREA,
                                       "imi@example.eu", "eu.grow", "DG GROW", "grow@example.eu")
    codes["EU-COM"] = hub.invite_coordinator(record, user)
    identities, by_country = {}, {}
    for i, c in enumerate(countries):
        nco = Store.create(workdir / "registering.db", PASS)
        enrol(nco, url, codes[f"{c}-NCO"])
        sync(nco)
        count = total // len(countries) + (i < total % len(countries))
        auths, users = country_rows(c, count)
        Directory(nco).register_authorities([("bench", a) for a in auths])
        invited = Users(nco).register([("bench", u) for u in users]).invitations
        with client_for(nco) as client:  # pushed, not pulled: the directory is pulled once below
            report = SyncReport()
            push(nco, client, report)
        assert report.accepted and not report.rejected, report
        identities[f"{c}-NCO"] = {k: nco.meta(k) for k in ("hub", "user_id", "authority_id", "operator_key",
                                                             "private_key")}
        nco.close()
        for suffix in ("", "-wal", "-shm"):
            (workdir / f"registering.db{suffix}").unlink(missing_ok=True)
        by_country[c] = [a["id"] for a in auths if a["id"] != NOTIFIER]
        for u in users:
            identities[u["authority"]] = enrolled(url, invited[u["id"]]).values
    identities["EU-COM"] = enrolled(url, codes["EU-COM"]).values
    registered, t = time.monotonic() - t, time.monotonic()
    template = workdir / "template.db"
    store = Store.create(template, PASS)
    with store.transaction():
        for k, v in identities[NOTIFIER].items():
            store.set_meta(k, v)
    sync(store)
    store.close()
    key = derive_key(PASS, read_salt(template))
    pulled, t = time.monotonic() - t, time.monotonic()
    paths = {}
    for name, meta in identities.items():
        paths[name] = workdir / f"{name.lower()}.db"
        shutil.copyfile(template, paths[name])
        copy = Store.open(paths[name], key)
        with copy.transaction():
            for k, v in meta.items():
                if k != "cursor":  # the template's: it holds what the hub had
                    copy.set_meta(k, v)
        copy.close()
    print(f"set-up: registrations and {len(identities)} enrolments {registered:.1f} s, one store pulls the "
          f"directory {pulled:.1f} s, {len(paths)} copies {time.monotonic() - t:.1f} s", flush=True)
    return paths, key, by_country


def sync(store):
    return _sync(store)[0]


# -- the measured steps ----------------------------------------------------------------------
def summary(results: list[dict], key: str = "end") -> dict:
    walls = sorted(r["end"] - r["start"] for r in results)
    cpus = sorted(r["cpu"] for r in results)
    p95 = walls[min(len(walls) - 1, int(0.95 * len(walls)))]
    return {"n": len(results), "median": statistics.median(walls), "p95": p95, "max": walls[-1],
            "cpu_median": statistics.median(cpus), "cpu_sum": sum(cpus), "wall_sum": sum(walls),
            "sync_median": statistics.median(r["sync"] for r in results),
            "open_median": statistics.median(r["open"] for r in results),
            "client_median": statistics.median(r["client"] for r in results),
            "pulled": sum(r["pulled"] for r in results), "last": max(r[key] for r in results)}


def items_for(paths: dict, key: str, names: list[str], **extra) -> list[dict]:
    return [{"path": str(paths[n]), "key": key, **extra} for n in names]


def request_floor(notifier, pool: Pool, probe: Probe, paths: dict, key: str, to: str) -> dict:
    """One request from the notifier to ``to``, pushed from here, pulled by ``to``'s store in
    the pool: from the start of the push to the end of ``to``'s sync."""
    from imi_cli.exchanges.requests.service import Requests
    from imi_cli.log import clock

    requests = Requests(notifier)
    deadline = (clock.now().date() + dt.timedelta(days=60)).isoformat()
    rid = requests.new(area=AREA, to=to, questionnaire="services-verify-provider", questions=None,
                       deadline=deadline, subject="Bench: the provider's registration")
    requests.send(rid)
    mark, t = probe.mark(), time.monotonic()
    report = sync(notifier)
    assert report.accepted == 2 and not report.rejected, report
    pushed = time.monotonic() - t
    run = pool.run(items_for(paths, key, [to], sql="SELECT count(*) FROM requests WHERE id = ?", args=[rid]))
    r = run["results"][0]
    assert r["value"] == 1, f"{to}'s store lacks request {rid}"
    return {"push": pushed, "pull": r["end"] - r["start"], "total": r["end"] - t, "cpu": r["cpu"],
            "hub": probe.since(mark)}


def phase_a(notifier, pool: Pool, probe: Probe, paths: dict, key: str, by_country: dict) -> tuple[str, dict]:
    from imi_cli.exchanges.notifications.service import Notifications

    n = Notifications(notifier)
    nid = n.new(kind="services-notification", lang="it", answers=ANSWERS)
    n.broadcast(nid)
    mark, t = probe.mark(), time.monotonic()
    report = sync(notifier)
    assert report.accepted == 2 and not report.rejected, report
    broadcast = {"push": time.monotonic() - t, "hub": probe.since(mark)}
    held = "SELECT count(*) FROM notifications WHERE id = ?"
    ncos = sorted(by_country)
    mark = probe.mark()
    received = pool.run(items_for(paths, key, [f"{c}-NCO" for c in ncos] + ["EU-COM"], sql=held, args=[nid]))
    assert all(r["value"] == 1 for r in received["results"]), "a coordinator lacks the broadcast"
    received["hub"] = {**probe.since(mark), "cpu": received["hub_cpu"]}
    mark = probe.mark()
    items = [{"path": str(paths[f"{c}-NCO"]), "key": key, "to": by_country[c]} for c in ncos]
    disseminated = pool.run(items, nid)
    assert all(r["pushed"] == 1 for r in disseminated["results"]), "a dissemination was not accepted"
    disseminated["hub"] = {**probe.since(mark), "cpu": disseminated["hub_cpu"]}
    authorities = [a for c in ncos for a in by_country[c]]
    mark = probe.mark()
    pulled = pool.run(items_for(paths, key, authorities, sql=held, args=[nid]))
    missing = [a for a, r in zip(authorities, pulled["results"], strict=True) if r["value"] != 1]
    assert not missing, f"{len(missing)} authorities lack the notification: {missing[:5]}"
    pulled["hub"] = {**probe.since(mark), "cpu": pulled["hub_cpu"]}
    return nid, {"t0": t, "broadcast": broadcast, "received": received, "disseminated": disseminated,
                 "pulled": pulled, "total": pulled["results"] and max(r["end"] for r in pulled["results"]) - t}


def commenters(by_country: dict, count: int) -> list[str]:
    """``count`` holders, spread over the countries in turn: the Commission and the notifier
    first, then each country's coordinator and authorities."""
    rows = [[f"{c}-NCO", *by_country[c]] for c in sorted(by_country)]
    chosen = ["EU-COM", NOTIFIER]
    k = 0
    while len(chosen) < count:
        for row in rows:
            if k < len(row) and len(chosen) < count:
                chosen.append(row[k])
        k += 1
    return chosen


def phase_b(nid: str, pool: Pool, probe: Probe, paths: dict, key: str, by_country: dict, count: int,
            profile: bool, hub) -> dict:
    who = commenters(by_country, count)
    items = [{"path": str(paths[n]), "key": key, "comment": f"Comment {i} from {n}: the limit per "
              f"province needs a justification by numbers.", "push_only": True} for i, n in enumerate(who)]
    mark = probe.mark()
    if profile:
        import cProfile

        probe.profiler = cProfile.Profile()
    commented = pool.run(items, nid)
    hub_profile, probe.profiler = probe.profiler, None
    assert all(r["pushed"] == 1 for r in commented["results"]), "a comment was not accepted"
    commented["hub"] = {**probe.since(mark), "cpu": commented["hub_cpu"]}
    everyone = sorted(paths)
    mark = probe.mark()
    converged = pool.run(items_for(paths, key, everyone, sql=COMMENT_SQL, args=[nid]), profile=profile)
    converged["hub"] = {**probe.since(mark), "cpu": converged["hub_cpu"]}
    counts = {r["value"] for r in converged["results"]}
    assert counts == {count}, f"comment counts in the stores: {sorted(counts, key=str)}"
    with hub.lock:
        at_hub = hub.store.query(COMMENT_SQL, (nid,))[0][0]
    assert at_hub == count, f"the hub holds {at_hub} comments"
    from imi_cli.log.store import Store

    size_sql = ("SELECT length(record), (SELECT count(*) FROM notification_history WHERE notification_id = n.id), "
                "json_array_length(record, '$.disseminated') FROM notifications n WHERE id = ?")
    with hub.lock:
        at_hub = hub.store.query(size_sql, (nid,))[0]
    store = Store.open(paths[by_country["FI"][0]], bytes.fromhex(key))
    in_store = store.query(size_sql, (nid,))[0]
    store.close()
    print(f"    the notification's record (its comments and history are rows of their own): "
          f"{in_store[0] / 1024:.0f} KB in a store ({in_store[1]} history rows, {in_store[2]} authorities "
          f"disseminated to, {count} comment rows), {at_hub[0] / 1024:.0f} KB at the hub", flush=True)
    return {"commented": commented, "converged": converged, "stores": len(everyone), "hub_profile": hub_profile,
            "total": max(r["end"] for r in converged["results"]) - commented["start"]}


# -- main -------------------------------------------------------------------------------------------
def main() -> int:
    from synth import ensure_bytecode, machine

    ensure_bytecode()
    ssl_ms = reuse_ssl_context()
    parser = argparse.ArgumentParser()
    parser.add_argument("--authorities", type=int, default=500, help="authorities in services, over 30 countries")
    parser.add_argument("--comments", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2, help="processes syncing the stores")
    parser.add_argument("--profile", action="store_true", help="profile the pool's convergence syncs of (b)")
    args = parser.parse_args()

    import imi_cli.log.store as store_module
    from imi_cli.hub.background import BackgroundHub
    from imi_cli.hub.state import init_hub
    from imi_cli.log.store import Store

    # Set-up only: a passphrase's key derivation (PBKDF2, ~0.23 s) for each of the 532 stores
    # made here. Nothing measured derives a key: the pool opens the stores with the raw key.
    store_module.KDF_ITERATIONS = 1000
    load = os.getloadavg()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        env = {k: v for k, v in os.environ.items() if k != "IMI_PASSPHRASE"}
        env["PYTHONPATH"] = str(ROOT)
        hub = init_hub(workdir / "hub.db", PASS)
        with BackgroundHub(hub) as served:
            t = time.monotonic()
            paths, raw, by_country = build(hub, served.url, workdir, args.authorities)
            key = raw.hex()
            notifier = Store.open(paths[NOTIFIER], raw)
            print(f"set-up: {len(by_country)} countries, {sum(map(len, by_country.values()))} authorities, "
                  f"{len(paths)} stores made and enrolled in {time.monotonic() - t:.1f} s", flush=True)
            pool = Pool(args.workers, env)
            probe = Probe(hub)
            try:
                others = sorted(n for n in paths if n != NOTIFIER)
                idle = pool.run(items_for(paths, key, others))
                idle["s"] = summary(idle["results"])
                assert idle["s"]["pulled"] == 0, "the idle sync pulled events"
                sync(notifier)
                print(f"idle sync of {len(others)} stores: {idle['wall']:.1f} s; {per_store(idle['s'])}", flush=True)
                to = by_country["FI"][0]
                floors = [request_floor(notifier, pool, probe, paths, key, to)]
                nid, a = phase_a(notifier, pool, probe, paths, key, by_country)
                show_a(a)
                sync(notifier)
                floors.append(request_floor(notifier, pool, probe, paths, key, to))
                b = phase_b(nid, pool, probe, paths, key, by_country, args.comments, args.profile, hub)
                show_b(b, args.comments)
                sync(notifier)
                floors.append(request_floor(notifier, pool, probe, paths, key, to))
            finally:
                pool.stop()
                notifier.close()
        hub.store.close()
    show_floor(floors, to)
    print(f"httpx's SSL context, made once per process here (one per hub client in imi): {ssl_ms:.0f} ms")
    print(f"machine: {machine()}; {args.workers} pool processes; load average before {load[0]:.2f} / "
          f"{load[1]:.2f}, after {os.getloadavg()[0]:.2f}; whole run {time.monotonic() - started:.0f} s")
    if args.profile:
        import pstats

        print("--- profile of the hub's accepts of the comments in (b) ---")
        stats = pstats.Stats(b["hub_profile"])
        stats.sort_stats("cumulative").print_stats(30)
        stats.sort_stats("tottime").print_stats(15)
        for i, text in enumerate(b["converged"]["profiles"]):
            print(f"--- profile of pool process {i}, convergence syncs of (b) ---")
            print(text)
    return 0


def per_store(s: dict) -> str:
    return (f"per store {s['median'] * 1000:.0f} / {s['p95'] * 1000:.0f} / {s['max'] * 1000:.0f} ms "
            f"(median / p95 / max; of which open {s['open_median'] * 1000:.0f}, client "
            f"{s['client_median'] * 1000:.0f}, sync {s['sync_median'] * 1000:.0f} ms median), CPU "
            f"{s['cpu_median'] * 1000:.0f} ms median, {s['cpu_sum']:.1f} s summed")


def hub_line(h: dict) -> str:
    return (f"hub: {h['accepts']} pushes accepted in {h['accept'] * 1000:.0f} ms (of which deliveries "
            f"{h['react'] * 1000:.0f} ms, {h['delivered']} delivery events), {h['queries']} pull "
            f"queries {h['query'] * 1000:.0f} ms ({h['rows']} events)"
            + (f"; hub process CPU {h['cpu']:.1f} s" if "cpu" in h else ""))


def show_a(a: dict) -> None:
    b, r, d, p = a["broadcast"], a["received"], a["disseminated"], a["pulled"]
    r["s"], d["s"], p["s"] = summary(r["results"]), summary(d["results"]), summary(p["results"])
    print(f"(a) broadcast pushed and accepted in {b['push'] * 1000:.0f} ms ({hub_line(b['hub'])})")
    print(f"    {r['s']['n']} coordinators + the Commission pull it: {r['wall']:.2f} s; {per_store(r['s'])}; "
          f"{hub_line(r['hub'])}")
    print(f"    30 disseminations (one per country) pushed: {d['wall']:.2f} s; {per_store(d['s'])}; "
          f"{hub_line(d['hub'])}")
    print(f"    {p['s']['n']} authorities pull it: {p['wall']:.2f} s; {per_store(p['s'])}; {hub_line(p['hub'])}")
    print(f"    from the broadcast's push to the last authority's store holding it: {a['total']:.2f} s", flush=True)


def show_b(b: dict, count: int) -> None:
    c, v = b["commented"], b["converged"]
    c["s"], v["s"] = summary(c["results"]), summary(v["results"])
    print(f"(b) {count} comments, each written and pushed by its holder's store (push only): {c['wall']:.2f} s; "
          f"{per_store(c['s'])}; {hub_line(c['hub'])}")
    print(f"    every one of {b['stores']} stores syncs once, then holds {count} comments: {v['wall']:.2f} s; "
          f"{per_store(v['s'])}; {v['s']['pulled']} events pulled; {hub_line(v['hub'])}")
    print(f"    from the first comment's push to the last store converged: {b['total']:.2f} s", flush=True)


def show_floor(floors: list[dict], to: str) -> None:
    for i, f in enumerate(floors):
        print(f"floor {i + 1}: one request IT-NOTIFY -> {to}: push {f['push'] * 1000:.0f} ms, {to}'s sync "
              f"{f['pull'] * 1000:.0f} ms (CPU {f['cpu'] * 1000:.0f} ms), push start to held "
              f"{f['total'] * 1000:.0f} ms; {hub_line(f['hub'])}")


if __name__ == "__main__":
    if sys.argv[1:] == ["--worker"]:
        sys.exit(worker())
    sys.exit(main())
