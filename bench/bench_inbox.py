"""`imi inbox` and `imi request list` over 50,000 requests in a directory of 7,000 authorities,
each as a whole process with the store unlocked (`imi unlock`, key cached in IMI_RUNTIME_DIR),
beside the floor `imi --help` in the same run. Target: <= 300 ms. Prints figures; not a test.

The store is built directly: authority and request events appended and projected in one
transaction (no hub), in the states a busy authority would have: half incoming, half outgoing.
The Hungarian side of each request is HU-AUTH (60 %) or another Hungarian authority; the other
side is any of the 7,000. The commands run twice: as HU-AUTH (a plain authority: its own
30,000) and as HU-NCO, Hungary's national coordinator, who covers every Hungarian authority
and so sees all 50,000 (``directory.coordination.covered_by``).

    PYTHONPATH=$PWD .venv/bin/python bench/bench_inbox.py   [BENCH_REQUESTS=, BENCH_AUTHORITIES=]"""

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

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "50000"))
AUTHORITIES = int(os.environ.get("BENCH_AUTHORITIES", "7000"))
ROOT = Path(__file__).resolve().parents[1]
RUNS = 9
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


def build(path: Path) -> None:
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
        for i in range(REQUESTS):
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
            append(conn, events)
        store.set_meta("authority_id", ME)
        store.set_meta("user_id", "hu.handler")
    store.close()
    print(f"built {len(records):,} authorities and {REQUESTS:,} requests ({reminders:,} with a reminder) "
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


def measure(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    timed(argv, env)  # warm the page cache
    runs = [timed(argv, env) for _ in range(RUNS)]
    return median([w for w, _ in runs]), median([c for _, c in runs])


COMMANDS = (("inbox", ["inbox"]), ("inbox --json", ["--json", "inbox"]),
            ("request list", ["request", "list"]), ("request list --json", ["--json", "request", "list"]),
            ("request list --overdue", ["request", "list", "--overdue"]))


def main() -> None:
    from synth import ensure_bytecode

    ensure_bytecode()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "requests.db"
        build(path)
        # PYTHONPATH: the `imi` subprocesses import this checkout's imi_cli, whatever the venv has
        env = {**os.environ, "IMI_RUNTIME_DIR": str(Path(folder) / "run"), "IMI_STORE": str(path),
               "LANG": "C.UTF-8", "PYTHONPATH": str(ROOT)}
        subprocess.run([str(IMI), "unlock"], check=True, env={**env, "IMI_PASSPHRASE": PASSPHRASE},
                       stdout=subprocess.DEVNULL)
        env.pop("IMI_PASSPHRASE", None)
        rows = {}
        floors = [measure([str(IMI), "--help"], env)]
        for who in (ME, NCO):
            act_as(path, who)
            for name, args in COMMANDS:
                out = subprocess.run([str(IMI), *args], check=True, capture_output=True, env=env).stdout
                rows[f"{name} (as {who})"] = (measure([str(IMI), *args], env), out.count(b"\n"))
            floors.append(measure([str(IMI), "--help"], env))
    floor = (median([w for w, _ in floors]), median([c for _, c in floors]))
    print(f"machine: {machine()}; median of {RUNS} after a warm-up; wall / CPU (user+sys); "
          f"load {os.getloadavg()[0]:.2f}")
    print(f"floor: imi --help:                        {floor[0]:7.1f} / {floor[1]:6.1f} ms  "
          f"(three times: {', '.join(f'{w:.0f}/{c:.0f}' for w, c in floors)})")
    for name, ((wall, cpu), lines) in rows.items():
        print(f"imi {name:<36} {wall:7.1f} / {cpu:6.1f} ms  {wall / floor[0]:4.2f}x / {cpu / floor[1]:4.2f}x floor  "
              f"({lines:,} lines; target <= 300 ms: {'met' if wall <= 300 else 'MISSED'})")


if __name__ == "__main__":
    main()
