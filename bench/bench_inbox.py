"""`imi inbox` and `imi request list` over 10,000 requests, each as a whole process with the
store unlocked (`imi unlock`, key cached in IMI_RUNTIME_DIR), beside the floor `imi --help`.
Target: <= 300 ms. Prints figures; not a test.

The store is built directly: request events appended and projected in one transaction
(no hub), in the states a busy authority would have: half incoming, half outgoing."""

from __future__ import annotations

import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from synth import machine, median  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "10000"))
RUNS = 9
PASSPHRASE = "benchmark passphrase"
IMI = Path(sys.executable).with_name("imi")
ME, OTHERS = "HU-AUTH", ["IE-AUTH", "DE-AUTH", "MT-AUTH", "FR-AUTH", "AT-AUTH"]
QUESTIONS = ["legally_established", "authorisation_status"]
# state -> the events after request.sent that lead to it
PATHS = {"sent": [], "accepted": ["accepted"], "answered": ["accepted", "answered"],
         "closed": ["accepted", "answered", "closed"], "info_requested": ["accepted", "answered", "info_requested"],
         "withdrawn": ["withdrawn"]}
WEIGHTS = {"sent": 10, "accepted": 15, "answered": 10, "closed": 55, "info_requested": 5, "withdrawn": 5}


def build(path: Path) -> None:
    from imi_cli.directory.records import check_authority, check_user
    from imi_cli.log import clock
    from imi_cli.log.event import make_event, uuid7
    from imi_cli.log.journal import append
    from imi_cli.log.store import Store

    rng = random.Random(5)
    today = clock.now().date()
    store = Store.create(path, PASSPHRASE)
    actor = {"user": "hu.handler", "authority": ME}
    start = time.perf_counter()
    with store.transaction() as conn:
        events = []
        for ident in [ME, *OTHERS]:
            record = check_authority({"id": ident, "country": ident[:2], "names": {"en": ident}, "languages": "en",
                                      "areas": "services", "email": "a@example.eu"}, "bench", [])
            events.append(make_event("authority.registered", actor=actor, payload={"authority": record},
                                     subject={"entity": f"authority/{ident}"}))
        user = check_user({"id": "hu.handler", "name": "H", "email": "h@example.eu", "authority": ME,
                           "roles": "request_handler"}, "bench", [])
        events.append(make_event("user.registered", actor=actor, payload={"user": user},
                                 subject={"entity": "user/hu.handler"}))
        append(conn, events)
        states, weights = list(WEIGHTS), list(WEIGHTS.values())
        for i in range(REQUESTS):
            other = rng.choice(OTHERS)
            requester, responder = (other, ME) if i % 2 else (ME, other)
            deadline = (today + dt.timedelta(days=rng.randint(-30, 90))).isoformat()
            content = {"area": "services", "requester": requester, "responder": responder,
                       "subject": f"Provider check {i}", "questionnaire": "services-verify-provider", "qversion": "1.0",
                       "questions": QUESTIONS, "deadline": deadline, "person": {"provider_name": f"Provider {i}"},
                       "comments": [], "attachments": []}
            subject = {"entity": f"request/{uuid7()}"}
            steps = [("request.sent", {"request": content})]
            for step in PATHS[rng.choices(states, weights)[0]]:
                payload = {"answers": {"legally_established": "yes", "authorisation_status": "valid"}, "lang": "hu",
                           "attachments": []} if step == "answered" else \
                    {"timeliness": 4, "quality": 5} if step == "closed" else \
                    {"text": "more?", "lang": "en"} if step == "info_requested" else {}
                steps.append((f"request.{step}", payload))
            append(conn, [make_event(t, actor=actor, payload=p, subject=dict(subject)) for t, p in steps])
        store.set_meta("authority_id", ME)
        store.set_meta("user_id", "hu.handler")
    store.close()
    print(f"built {REQUESTS:,} requests in {time.perf_counter() - start:.1f} s ({clock.iso(clock.now())[:10]})")


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return (time.perf_counter() - started) * 1000


def measure(argv: list[str], env: dict[str, str]) -> float:
    timed(argv, env)  # warm the page cache
    return median([timed(argv, env) for _ in range(RUNS)])


def main() -> None:
    from synth import ensure_bytecode

    ensure_bytecode()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "requests.db"
        build(path)
        env = {**os.environ, "IMI_RUNTIME_DIR": str(Path(folder) / "run"), "IMI_STORE": str(path), "LANG": "C.UTF-8"}
        subprocess.run([str(IMI), "unlock"], check=True, env={**env, "IMI_PASSPHRASE": PASSPHRASE},
                       stdout=subprocess.DEVNULL)
        env.pop("IMI_PASSPHRASE", None)
        rows = {}
        for name, args in (("inbox", ["inbox"]), ("inbox --json", ["--json", "inbox"]),
                           ("request list", ["request", "list"]),
                           ("request list --json", ["--json", "request", "list"]),
                           ("request list --overdue", ["request", "list", "--overdue"])):
            out = subprocess.run([str(IMI), *args], check=True, capture_output=True, env=env).stdout
            rows[name] = (measure([str(IMI), *args], env), out.count(b"\n"))
        floor = measure([str(IMI), "--help"], env)
    print(f"machine: {machine()}")
    print(f"floor: imi --help:            {floor:7.1f} ms")
    for name, (ms, lines) in rows.items():
        print(f"imi {name:<24} {ms:7.1f} ms  ({lines:,} lines; target <= 300 ms: "
              f"{'met' if ms <= 300 else 'MISSED'})")


if __name__ == "__main__":
    main()
