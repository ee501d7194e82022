"""Alert fan-out: one PQ alert reaching the incoming-alert coordinators of every other country,
each of whose stores runs `imi sync --watch`, beside one request reaching one watching store
(the floor), in the same run. Prints figures; not a test.

    PYTHONPATH=$PWD .venv/bin/python bench/bench_alerts.py [--rounds 5]

The network: a hub (``BackgroundHub``, in this process, on loopback) and the 30 IMI countries,
each with its national coordinator and 5 authorities in professional-qualifications: CC-ALERTS,
whose user cc.alerts holds the role ``alert_coordinator`` (the country's incoming-alert
coordinator), and four authorities competent for a profession. The sender is IE-NURSE's user
ie.sender (``alert_handler``, ``request_handler``). Setting up is not timed and takes the
usual fast paths: each coordinator registers its country's authorities and users in one bulk
registration (as the other benches do), and the stores' passphrase key derivation is cut short
(nothing measured derives a key: the watchers open their stores with the key cached, as after
`imi unlock`). Every store is a real SQLCipher store enrolled with the hub.

Measured: each of the 29 receiving coordinators' stores is watched by its own
``imi sync --watch`` *process* (the command itself, as bench_hub.py's delivery figure runs it),
not by threads of this process. Each coordinator is its own machine in IMI; 29 watch loops as
threads of one interpreter would take turns on its GIL with each other and with the hub (which
runs here), so the figure would be that of one Python process, not of the system. As
processes they share this machine's 2 cores, and the hub, as they would share the hub.

A round: the sender drafts and sends one pq-restriction alert (routed by its store's directory
to the 29 CC-ALERTS) and syncs (draft and send in one push); the time runs from the hub's
acceptance of that push (a listener on the hub's arrivals, called once the batch is committed)
to the line each watcher writes once it has applied what it pulled (its ``on_report``), for
each watcher whose store then holds the alert's row. The floor, in the same rounds: one
request (pq-verify-qualification) from the sender to one watching CC-ALERTS, same measurement.
Before each measurement every watcher holds its long poll at the hub (the app's counts of held
polls). A thread of this process reads the watchers' stderr and notes each line's arrival.
Before the rounds, one directory update (an authority registered by IE-NCO) reaches all 29: a
freshly started watcher pays for loading the event types, the schema validator and the
signature library on the first event it pulls, and that is timed apart. Each round also shows
when the hub's query answering each poll returned (``Hub.events_for``, wrapped on this
instance), so the time splits into the hub answering 29 polls and each node's part (the
response, its checks, its transaction); and the CPU the watchers used (/proc).

Target (issue 11): every coordinator's store holds the alert within 2 s of the push.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import queue
import selectors
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_hub import PASS, imi  # noqa: E402
from synth import machine  # noqa: E402

AREA = "professional-qualifications"
SENDER_COUNTRY = "IE"
PROFESSIONS = ("nurse", "doctor", "pharmacist", "dentist")  # the four plain authorities of each country
PERSON = {"professional_name": "Zsófia Próba-Mérés", "date_of_birth": "1979-03-14", "place_of_birth": "Kecskemét"}
TARGET_S = 2.0


# -- the network ---------------------------------------------------------------------------
def node(workdir: Path, url: str, name: str, code: str):
    from imi_cli.log.store import Store
    from imi_cli.sync.enrolment import enrol

    store = Store.create(workdir / f"{name}.db", PASS)
    enrol(store, url, code)
    return store


def sync(store, **kw):
    from imi_cli.sync.enrolment import client_for
    from imi_cli.sync.session import sync as sync_

    with client_for(store) as client:
        return sync_(store, client, **kw)


def country_rows(c: str) -> tuple[list[dict], list[dict]]:
    """A country's 5 authorities in professional-qualifications and their users: the
    incoming-alert coordinator's, and in the sender's country the sender's."""
    low = c.lower()
    auths = [{"id": f"{c}-ALERTS", "country": c, "names": {"en": f"Alert coordination {c}"}, "languages": "en",
              "areas": AREA, "competences": "alerts", "email": f"alerts@example.{low}"}]
    auths += [{"id": f"{c}-{p.upper()}", "country": c, "names": {"en": f"{p.capitalize()} board {c}"},
               "languages": "en", "areas": AREA, "competences": p, "email": f"{p}@example.{low}"} for p in PROFESSIONS]
    users = [{"id": f"{low}.alerts", "name": f"Alerts {c}", "email": f"alerts.user@example.{low}",
              "authority": f"{c}-ALERTS", "roles": "alert_coordinator"}]
    if c == SENDER_COUNTRY:
        users.append({"id": f"{low}.sender", "name": f"Sender {c}", "email": f"sender@example.{low}",
                      "authority": f"{c}-NURSE", "roles": "alert_handler;request_handler"})
    return auths, users


def build(hub, url: str, workdir: Path) -> tuple[object, object, dict[str, object]]:
    """The 30 coordinators register their countries; returns the sender's coordinator's store,
    the sender's, and the incoming-alert coordinators' of the 29 other countries, all synced."""
    from imi_cli.directory.authorities import Directory
    from imi_cli.directory.invitations import coordinator_records
    from imi_cli.directory.users import Users
    from imi_cli.reference.countries import COUNTRIES

    codes = {}
    for c in COUNTRIES:
        record, user = coordinator_records(f"{c}-NCO", c, f"NCO {c}", "en", "en", AREA, f"imi@example.{c.lower()}",
                                           f"{c.lower()}.coord", f"Coordinator {c}", f"coord@example.{c.lower()}")
        nco = node(workdir, url, f"{c.lower()}-nco", hub.invite_coordinator(record, user))
        sync(nco)
        auths, users = country_rows(c)
        Directory(nco).register_authorities([("bench", a) for a in auths])
        codes.update(Users(nco).register([("bench", u) for u in users]).invitations)
        sync(nco)
        if c == SENDER_COUNTRY:
            home = nco
        else:
            nco.close()
    sender = node(workdir, url, "sender", codes[f"{SENDER_COUNTRY.lower()}.sender"])
    coordinators = {c: node(workdir, url, f"{c.lower()}-alerts", codes[f"{c.lower()}.alerts"])
                    for c in COUNTRIES if c != SENDER_COUNTRY}
    for store in [sender, *coordinators.values()]:
        sync(store)
    return home, sender, coordinators


# -- the watchers ---------------------------------------------------------------------------
class Watchers:
    """One `imi sync --watch` process per store; a thread notes when each writes a line."""

    def __init__(self, paths: list[Path], env: dict[str, str]) -> None:
        self.procs = [subprocess.Popen(imi("--store", p, "sync", "--watch", "--wait", "20"), env=env,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for p in paths]
        self.lines: queue.Queue[tuple[int, float, str]] = queue.Queue()
        self.log: list[list[str]] = [[] for _ in paths]
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        sel = selectors.DefaultSelector()
        for i, proc in enumerate(self.procs):
            os.set_blocking(proc.stderr.fileno(), False)
            sel.register(proc.stderr.fileno(), selectors.EVENT_READ, i)
        partial = [b""] * len(self.procs)
        open_ = len(self.procs)
        while open_:
            for key, _ in sel.select():
                i = key.data
                chunk = os.read(key.fd, 65536)
                at = time.monotonic()
                if not chunk:
                    sel.unregister(key.fd)
                    open_ -= 1
                    continue
                *whole, partial[i] = (partial[i] + chunk).split(b"\n")
                for line in whole:
                    text = line.decode("utf-8", "replace")
                    self.log[i].append(text)
                    self.lines.put((i, at, text))

    def cpu(self) -> float:
        """CPU seconds (user + system) the watcher processes have used so far."""
        ticks = 0
        for proc in self.procs:
            with open(f"/proc/{proc.pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def check_alive(self) -> None:
        for i, proc in enumerate(self.procs):
            if proc.poll() is not None:
                raise RuntimeError(f"watcher {i} ended ({proc.returncode}): " + " | ".join(self.log[i][-5:]))

    def drain(self) -> None:
        while not self.lines.empty():
            self.lines.get_nowait()

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def until(condition, what: str, watchers: Watchers, limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        watchers.check_alive()
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not within {limit:.0f} s")
        time.sleep(0.02)


# -- one round --------------------------------------------------------------------------------
class Probe:
    """What the hub does, seen from this process (it runs here): when it accepted each push (a
    listener on its arrivals, called once the batch is committed) and each query that answered
    a poll (``Hub.events_for``, wrapped on this instance only), with when it ran."""

    def __init__(self, hub) -> None:
        self.accepted: list[float] = []
        self.queries: list[tuple[float, float, str | None, int]] = []  # start, end, authority, rows
        hub.listeners.append(lambda: self.accepted.append(time.monotonic()))
        inner = hub.events_for

        def timed(authority, after, limit):
            t = time.monotonic()
            rows = inner(authority, after, limit)
            self.queries.append((t, time.monotonic(), authority, len(rows)))
            return rows

        hub.events_for = timed


def delivered(watchers: Watchers, readers: list, wanted: set[int], sql: str, ident: str,
              limit: float = 60) -> dict[int, float]:
    """The time of the first line of each wanted watcher after which its store holds ``ident``."""
    got: dict[int, float] = {}
    deadline = time.monotonic() + limit
    while len(got) < len(wanted):
        try:
            i, at, line = watchers.lines.get(timeout=0.5)
        except queue.Empty:
            watchers.check_alive()
            if time.monotonic() > deadline:
                missing = sorted(wanted - set(got))
                raise RuntimeError(f"{ident} not delivered within {limit:.0f} s to watchers {missing}") from None
            continue
        if i in wanted and i not in got and "pulled" in line and readers[i].query(sql, (ident,)):
            got[i] = at
    return got


def measure(sender, probe: Probe, watchers: Watchers, readers: list, wanted: dict[int, str],
            sql: str, ident: str, pushed: int = 2) -> dict:
    """Sync the sender (``pushed`` events in one push: a draft and its send) and time until
    each wanted watcher's store holds ``ident``, from the hub's acceptance of the push."""
    cpu, own = watchers.cpu(), time.process_time()
    mark, asked, t = len(probe.accepted), len(probe.queries), time.monotonic()
    report = sync(sender)
    assert report.accepted == pushed and not report.rejected, report
    accepted = probe.accepted[mark]
    got = delivered(watchers, readers, set(wanted), sql, ident)
    last = max(got.values())
    cpu, own = watchers.cpu() - cpu, time.process_time() - own
    lat = sorted(at - accepted for at in got.values())
    queries = [q for q in probe.queries[asked:] if q[0] <= last]
    answered: dict[str, float] = {}  # authority -> when the hub's query for its poll returned the event
    for _start, end, authority, rows in queries:
        if rows and authority in wanted.values():
            answered.setdefault(authority, end)
    # per watcher, from its poll's answer at the hub to its store holding the event: the
    # response, the node's checks (signature, rules) and its transaction, and the line
    node = [got[i] - answered[wanted[i]] for i in got]
    return {"push": accepted - t, "first": lat[0], "median": statistics.median(lat), "last": lat[-1],
            "slowest": max(got, key=got.get), "hub_answered": max(answered.values()) - accepted,
            "hub_median": statistics.median(answered.values()) - accepted, "node_median": statistics.median(node),
            "node_max": max(node),
            "hub_queries": sum(q[1] - q[0] for q in queries), "polls": len(queries), "cpu": cpu, "own": own}


def directory_round(nco, probe: Probe, watchers: Watchers, readers: list, authorities: list[str]) -> dict:
    """The sender's coordinator registers one more authority: every store pulls it."""
    from imi_cli.directory.authorities import Directory

    c = nco.meta("authority_id").split("-")[0]
    ident = f"{c}-MIDWIFE"
    Directory(nco).register_authorities([("bench", {
        "id": ident, "country": c, "names": {"en": f"Midwife board {c}"}, "languages": "en", "areas": AREA,
        "competences": "midwife", "email": f"midwife@example.{c.lower()}"})])
    return measure(nco, probe, watchers, readers, dict(enumerate(authorities)),
                   "SELECT 1 FROM authorities WHERE id = ?", ident, pushed=1)


def alert_round(sender, probe: Probe, watchers: Watchers, readers: list, authorities: list[str],
                n: int) -> tuple[str, dict]:
    from imi_cli.exchanges.alerts.service import Alerts
    from imi_cli.log import clock

    today = clock.now().date().isoformat()
    alerts = Alerts(sender)
    aid = alerts.new(kind="pq-restriction", profession="nurse", lang="en", answers={
        **PERSON, "deciding_authority": "Fitness to Practise Committee", "restriction_scope": "suspension",
        "decision_date": today, "period_start": today, "comments": f"bench round {n}"})
    routed = alerts.send(aid)["payload"]["routing"]
    assert routed == {"coordinators": sorted(authorities), "direct": []}, routed
    return aid, measure(sender, probe, watchers, readers, dict(enumerate(authorities)),
                        "SELECT 1 FROM alerts WHERE id = ?", aid)


def request_round(sender, probe: Probe, watchers: Watchers, readers: list, to: str, index: int) -> dict:
    from imi_cli.exchanges.requests.service import Requests
    from imi_cli.log import clock

    requests = Requests(sender)
    deadline = (clock.now().date() + dt.timedelta(days=60)).isoformat()
    rid = requests.new(area=AREA, to=to, questionnaire="pq-verify-qualification", questions=None,
                       deadline=deadline, subject="Bench: the nurse's diploma")
    requests.send(rid)
    return measure(sender, probe, watchers, readers, {index: to}, "SELECT 1 FROM requests WHERE id = ?", rid)


def assert_withheld(readers: list, countries: list[str], ids: list[str]) -> None:
    """Every coordinator's store holds every alert, and none holds who it is about (it was not
    forwarded): not in any table, and the alert reads "[withheld]" for each personal answer."""
    from imi_cli.exchanges.alerts.projection import load
    from imi_cli.log.disclosures import WITHHELD

    for c, reader in zip(countries, readers, strict=True):
        for table in ("events", "disclosures", "alerts", "quarantine"):
            text = "\n".join(map(str, reader.query(f"SELECT * FROM {table}")))
            for value in PERSON.values():
                assert value not in text, f"{c}-ALERTS's store holds {value!r} in {table}"
        for ident in ids:
            alert = load(reader.conn, ident)
            assert alert is not None, f"{c}-ALERTS's store lacks alert {ident}"
            answers = alert["record"]["content"]["answers"]
            assert not set(PERSON) & set(answers) and answers.get(WITHHELD, 0) >= len(PERSON), (c, answers)


def main() -> int:
    from synth import ensure_bytecode

    ensure_bytecode()
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5, help="rounds after the first (cold) one")
    args = parser.parse_args()

    import imi_cli.log.store as store_module
    from imi_cli.hub.background import BackgroundHub
    from imi_cli.hub.state import init_hub
    from imi_cli.log.store import Store, derive_key, read_salt
    from imi_cli.log.unlock import cache_key

    # Set-up only: a passphrase's key derivation (PBKDF2, ~0.23 s) for each of the 61 stores
    # made here. Nothing measured derives a key: the watchers open their stores with the key
    # cached (as after `imi unlock`), and SQLCipher gets the raw key either way.
    store_module.KDF_ITERATIONS = 1000
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        os.environ["IMI_RUNTIME_DIR"] = str(workdir / "run")  # where cache_key leaves the watchers' keys
        env = {k: v for k, v in os.environ.items() if k != "IMI_PASSPHRASE"}
        env["PYTHONPATH"] = str(ROOT)  # the watchers import this checkout's imi_cli
        hub = init_hub(workdir / "hub.db", PASS)
        with BackgroundHub(hub) as served:
            t = time.perf_counter()
            home, sender, coordinators = build(hub, served.url, workdir)
            countries = sorted(coordinators)
            authorities = [f"{c}-ALERTS" for c in countries]
            paths = [coordinators[c].path for c in countries]
            users = [coordinators[c].meta("user_id") for c in countries]
            for store in coordinators.values():
                store.close()
            keys = [derive_key(PASS, read_salt(p)) for p in paths]
            for p, key in zip(paths, keys, strict=True):
                cache_key(p, key, 1800)
            print(f"set-up: 30 countries, {len(countries)} watching coordinators, "
                  f"{time.perf_counter() - t:.1f} s")
            probe = Probe(hub)
            held = served.app.state.held["polls"].held
            t = time.perf_counter()
            watchers = Watchers(paths, env)
            readers, ids, alerts, requests = [], [], [], []
            try:
                all_held = lambda: all(held.get(u, 0) >= 1 for u in users)  # noqa: E731
                until(all_held, "every watcher holding its long poll", watchers)
                print(f"set-up: {len(paths)} `imi sync --watch` processes polling after "
                      f"{time.perf_counter() - t:.1f} s")
                readers = [Store.open(p, k) for p, k in zip(paths, keys, strict=True)]
                watchers.drain()
                first = directory_round(home, probe, watchers, readers, authorities)
                print(f"first event the watchers pull (a directory update, to all {len(readers)}): last "
                      f"{first['last']:.3f} s, median {first['median']:.3f} s; the hub answered the last at "
                      f"{first['hub_answered']:.3f} s; CPU: watchers {first['cpu']:.2f} s")
                for n in range(args.rounds + 1):  # round 0: each watcher's first alert
                    until(all_held, "every watcher holding its long poll", watchers)
                    watchers.drain()
                    aid, a = alert_round(sender, probe, watchers, readers, authorities, n)
                    ids.append(aid)
                    alerts.append(a)
                    index = n % len(readers)
                    until(all_held, "every watcher holding its long poll", watchers)
                    watchers.drain()
                    r = request_round(sender, probe, watchers, readers, authorities[index], index)
                    requests.append(r)
                    print(f"round {n}{' (first alert)' if n == 0 else ''}: alert to {len(readers)}: first "
                          f"{a['first']:.3f} s, median {a['median']:.3f} s, last {a['last']:.3f} s "
                          f"({countries[a['slowest']]}); the hub answered their polls by {a['hub_median']:.3f} / "
                          f"{a['hub_answered']:.3f} s (median / last; {a['polls']} queries, "
                          f"{a['hub_queries'] * 1000:.0f} ms summed, lock waits in); answer to store "
                          f"{a['node_median']:.3f} / {a['node_max']:.3f} s; "
                          f"CPU: watchers {a['cpu']:.2f} s, hub + sender {a['own']:.2f} s | request to "
                          f"{authorities[index]} {r['last']:.3f} s (hub {r['hub_answered']:.3f} s, "
                          f"{r['polls']} queries)")
                assert_withheld(readers, countries, ids)
            finally:
                for reader in readers:
                    reader.close()
                watchers.stop()
                sender.close()
                home.close()
        hub.store.close()
    report(first, alerts, requests, len(authorities), load)
    return 0


def report(first: dict, alerts: list[dict], requests: list[dict], receivers: int, load: tuple[float, ...]) -> None:
    warm_a, warm_r = alerts[1:], requests[1:]
    med = lambda runs, k: statistics.median(x[k] for x in runs)  # noqa: E731
    top = lambda runs, k: max(x[k] for x in runs)  # noqa: E731
    worst = max(a["last"] for a in alerts)
    print(f"machine: {machine()}; load average before {load[0]:.2f} / {load[1]:.2f}, "
          f"after {os.getloadavg()[0]:.2f}")
    print(f"alert to {receivers} watching coordinators, until the LAST store holds it (from the hub's accept):")
    print(f"  (before: the first event each watcher pulled, a directory update: {first['last']:.3f} s)")
    print(f"  first alert each watcher sees                {alerts[0]['last']:6.3f} s   "
          f"(median coordinator {alerts[0]['median']:.3f} s)")
    print(f"  later rounds, median / max of {len(warm_a)}            {med(warm_a, 'last'):6.3f} / "
          f"{top(warm_a, 'last'):.3f} s   (median coordinator {med(warm_a, 'median'):.3f} s)")
    print(f"  target <= {TARGET_S:.0f} s, every round: {'met' if worst <= TARGET_S else 'MISSED'} "
          f"(worst {worst:.3f} s)")
    print("floor: one request to one watching store, same measurement:")
    print(f"  first round                                  {requests[0]['last']:6.3f} s")
    print(f"  later rounds, median / max of {len(warm_r)}            {med(warm_r, 'last'):6.3f} / "
          f"{top(warm_r, 'last'):.3f} s")
    print(f"sender's push until the hub accepted it (median): alert {med(alerts, 'push'):.3f} s, "
          f"request {med(requests, 'push'):.3f} s")
    print("the person's identity is in none of the coordinators' stores (checked); each reads [withheld]")


if __name__ == "__main__":
    sys.exit(main())
