"""`imi inbox` and `imi request list` (tab-separated and --json) at 5,000, 20,000 and 50,000
requests in a directory of 7,000 authorities, each as a whole process with the store unlocked
(`imi unlock`, key cached in IMI_RUNTIME_DIR), beside the floor `imi --help` in the same run.
Target: <= 300 ms at 50,000. Prints figures (and ``figures.record``s them); not a test.

The store is built directly: authority and request events appended and projected in one
transaction (no hub), in the states a busy authority would have: half incoming, half outgoing.
The Hungarian side of each request is HU-AUTH (60 %) or another Hungarian authority; the other
side is any of the 7,000. The commands run twice: as HU-AUTH (a plain authority: its own
30,000) and as HU-NCO, Hungary's national coordinator, who covers every Hungarian authority
and so sees all 50,000 (``directory.coordination.covered_by``); a tenth of the other Hungarian
authorities' open requests have gone quiet (an "inactive" reminder): the coordinator's inbox.

    PYTHONPATH=$PWD .venv/bin/python bench/bench_inbox.py [--quick]   [BENCH_REQUESTS=, BENCH_AUTHORITIES=]

BENCH_REQUESTS is the largest size (the others: a tenth and two fifths of it); --quick: 300,
1,200 and 3,000 requests among 700 authorities, the four recorded commands, two runs each."""

from __future__ import annotations

import datetime as dt
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from synth import machine, median  # noqa: E402

QUICK = "--quick" in sys.argv[1:]
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "3000" if QUICK else "50000"))
SIZES = (REQUESTS // 10, REQUESTS * 2 // 5, REQUESTS)
AUTHORITIES = int(os.environ.get("BENCH_AUTHORITIES", "700" if QUICK else "7000"))
ROOT = Path(__file__).resolve().parents[1]
RUNS = 2 if QUICK else 9
TARGET_MS = 300
PASSPHRASE = "benchmark passphrase"
IMI = Path(sys.executable).with_name("imi")
ME, NCO = "HU-AUTH", "HU-NCO"
QUESTIONS = ["legally_established", "authorisation_status"]
# state -> the events after request.sent that lead to it
PATHS = {"sent": [], "accepted": ["accepted"], "answered": ["accepted", "answered"],
         "closed": ["accepted", "answered", "closed"], "info_requested": ["accepted", "answered", "info_requested"],
         "withdrawn": ["withdrawn"]}
WEIGHTS = {"sent": 10, "accepted": 15, "answered": 10, "closed": 55, "info_requested": 5, "withdrawn": 5}


def directory(rng: random.Random) -> list[dict]:
    """AUTHORITIES authority records: HU-NCO, HU-AUTH and synthetic ones in every country
    (about 230 of them Hungarian), each competent in services."""
    from imi_cli.directory.records import check_authority
    from imi_cli.reference.countries import COUNTRIES

    raw = [{"id": NCO, "kind": "national_coordinator", "country": "HU", "names": {"en": "HU coordinator"},
            "languages": "en", "areas": "services", "email": "nco@example.hu"},
           {"id": ME, "country": "HU", "names": {"en": ME}, "languages": "en", "areas": "services",
            "email": "a@example.hu"}]
    for i in range(AUTHORITIES - len(raw)):
        country = rng.choice(COUNTRIES)
        raw.append({"id": f"{country}-SYN-{i:05d}", "country": country, "names": {"en": f"Authority {i}"},
                    "languages": "en", "areas": rng.choice(["services", "services;professional-qualifications"]),
                    "email": f"office{i}@example.eu"})
    return [check_authority(r, "bench", []) for r in raw]


def build(path: Path, requests: int) -> None:
    from imi_cli.directory.records import check_user
    from imi_cli.exchanges.requests.lifecycle import OPEN_STATES
    from imi_cli.exchanges.requests.reminders import NEAR_DAYS
    from imi_cli.log import clock
    from imi_cli.log.event import make_event, uuid7
    from imi_cli.log.journal import append
    from imi_cli.log.store import Store

    rng = random.Random(5)
    today = clock.now().date()
    store = Store.create(path, PASSPHRASE)
    actor = {"user": "hu.handler", "authority": ME}
    start = time.perf_counter()
    records = directory(rng)
    hungarian = [r["id"] for r in records if r["country"] == "HU" and r["id"] not in (ME, NCO)]
    others = [r["id"] for r in records if r["country"] != "HU"]
    with store.transaction() as conn:
        events = [make_event("authority.registered", actor=actor, payload={"authority": record},
                             subject={"entity": f"authority/{record['id']}"}) for record in records]
        user = check_user({"id": "hu.handler", "name": "H", "email": "h@example.eu", "authority": ME,
                           "roles": "request_handler"}, "bench", [])
        events.append(make_event("user.registered", actor=actor, payload={"user": user},
                                 subject={"entity": "user/hu.handler"}))
        append(conn, events)
        states, weights = list(WEIGHTS), list(WEIGHTS.values())
        near, reminders = (today + dt.timedelta(days=NEAR_DAYS)).isoformat(), 0
        for i in range(requests):
            ours = ME if rng.random() < 0.6 else rng.choice(hungarian)
            other = rng.choice(others)
            requester, responder = (other, ours) if i % 2 else (ours, other)
            deadline = (today + dt.timedelta(days=rng.randint(-30, 90))).isoformat()
            content = {"area": "services", "requester": requester, "responder": responder,
                       "subject": f"Provider check {i}", "questionnaire": "services-verify-provider", "qversion": "1.0",
                       "questions": QUESTIONS, "deadline": deadline, "person": {"provider_name": f"Provider {i}"},
                       "comments": [], "attachments": []}
            subject = {"entity": f"request/{uuid7()}"}
            steps = [("request.sent", {"request": content})]
            state = rng.choices(states, weights)[0]
            for step in PATHS[state]:
                payload = {"answers": {"legally_established": "yes", "authorisation_status": "valid"}, "lang": "hu",
                           "attachments": []} if step == "answered" else \
                    {"timeliness": 4, "quality": 5} if step == "closed" else \
                    {"text": "more?", "lang": "en"} if step == "info_requested" else {}
                steps.append((f"request.{step}", payload))
            events = [make_event(t, actor=actor, payload=p, subject=dict(subject)) for t, p in steps]
            if state in OPEN_STATES and deadline <= near:  # the hub's reminder, as a node pulls it
                kind = "deadline_passed" if deadline < today.isoformat() else "deadline_near"
                events.append(make_event("request.reminder", actor={"user": "operator", "authority": None},
                                         payload={"kind": kind, "key": deadline}, subject=dict(subject)))
                reminders += 1
            if state in OPEN_STATES and ours != ME and rng.random() < 0.1:  # gone quiet: for the coordinator
                events.append(make_event("request.reminder", actor={"user": "operator", "authority": None},
                                         payload={"kind": "inactive", "key": events[-1]["at"][:10]},
                                         subject=dict(subject)))
                reminders += 1
            append(conn, events)
        store.set_meta("authority_id", ME)
        store.set_meta("user_id", "hu.handler")
    store.close()
    print(f"built {len(records):,} authorities and {requests:,} requests ({reminders:,} with a reminder) "
          f"in {time.perf_counter() - start:.1f} s ({clock.iso(clock.now())[:10]})")


def act_as(path: Path, authority: str) -> None:
    from imi_cli.log.store import Store, derive_key, read_salt

    store = Store.open(path, derive_key(PASSPHRASE, read_salt(path)))
    with store.transaction():
        store.set_meta("authority_id", authority)
    store.close()


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + system of the child) milliseconds: CPU time moves less when the
    machine is shared."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    wall = (time.perf_counter() - started) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000


def measure(argv: list[str], env: dict[str, str], warm: bool = True) -> tuple[float, float]:
    if warm:
        timed(argv, env)  # warm the page cache
    runs = [timed(argv, env) for _ in range(RUNS)]
    return median([w for w, _ in runs]), median([c for _, c in runs])


COMMANDS = (("inbox", ["inbox"]), ("inbox --json", ["--json", "inbox"]),
            ("request list", ["request", "list"]), ("request list --json", ["--json", "request", "list"]),
            ("request list --overdue", ["request", "list", "--overdue"]))


def measure_size(folder: Path, requests: int) -> tuple[tuple[float, float], list, dict]:
    """Build a store of ``requests`` requests, then time each command as each authority, with
    the floor measured before, between and after."""
    path = folder / f"requests-{requests}.db"
    build(path, requests)
    # PYTHONPATH: the `imi` subprocesses import this checkout's imi_cli, whatever the venv has
    env = {**os.environ, "IMI_RUNTIME_DIR": str(folder / "run"), "IMI_STORE": str(path),
           "LANG": "C.UTF-8", "PYTHONPATH": str(ROOT)}
    subprocess.run([str(IMI), "unlock"], check=True, env={**env, "IMI_PASSPHRASE": PASSPHRASE},
                   stdout=subprocess.DEVNULL)
    env.pop("IMI_PASSPHRASE", None)
    rows = {}
    floors = [measure([str(IMI), "--help"], env)]
    for who in (ME, NCO):
        act_as(path, who)
        for name, args in COMMANDS:
            if QUICK and name not in RECORDED:
                continue
            out = subprocess.run([str(IMI), *args], check=True, capture_output=True, env=env).stdout  # warms too
            rows[(name, who)] = (measure([str(IMI), *args], env, warm=False), out.count(b"\n"))
        floors.append(measure([str(IMI), "--help"], env))
    return (median([w for w, _ in floors]), median([c for _, c in floors])), floors, rows


def main() -> None:
    from figures import record
    from synth import ensure_bytecode

    ensure_bytecode()
    print(f"machine: {machine()}; median of {RUNS} after a warm-up; wall / CPU (user+sys); "
          f"{AUTHORITIES:,} authorities; sizes {', '.join(f'{n:,}' for n in SIZES)} requests")
    for requests in SIZES:
        with tempfile.TemporaryDirectory() as folder:
            floor, floors, rows = measure_size(Path(folder), requests)
        size = f"{requests:,} requests, {AUTHORITIES:,} authorities"
        print(f"[{size}] load {os.getloadavg()[0]:.2f}")
        print(f"floor: imi --help:                        {floor[0]:7.1f} / {floor[1]:6.1f} ms  "
              f"(three times: {', '.join(f'{w:.0f}/{c:.0f}' for w, c in floors)})")
        for (name, who), ((wall, cpu), lines) in rows.items():
            met = wall <= TARGET_MS
            print(f"imi {name + f' (as {who})':<36} {wall:7.1f} / {cpu:6.1f} ms  {wall / floor[0]:4.2f}x / "
                  f"{cpu / floor[1]:4.2f}x floor  ({lines:,} lines; target <= {TARGET_MS} ms: "
                  f"{'met' if met else 'MISSED'})")
            if name in RECORDED:
                record("bench_inbox", f"imi {name} as {who}, whole process", wall, "ms", floor=floor[0],
                       floor_name="imi --help", target=f"<= {TARGET_MS} ms", met=met, size=size)


RECORDED = ("inbox", "inbox --json", "request list", "request list --json")


if __name__ == "__main__":
    main()
