"""Euro cash-in-transit licences (issue 13): `imi cit check` against 100,000 licences, in
process, and the import of 100,000 licences from a CSV, each beside its floor from the same
run. Prints figures; not a test.

    PYTHONPATH=$PWD .venv/bin/python bench/bench_licences.py [--count 100000] [--queries 1000] [--profile]

The store: a real SQLCipher store enrolled with a hub (``BackgroundHub``, in this process, on
loopback), that of NL-DNB's licensing officer (role ``licensing_officer``, area
euro-cash-in-transit); BE-POL, a Belgian CIT authority, is in the directory as the host state.
The licences get into the store's ``licences`` table the way an officer's do: through
``Licences.import_file`` on a CSV of ``--count`` synthetic licences (company names with each
language's letters, so folding has work), which reads and checks every row, runs the
protocol's rules over each ``licence.issued`` event as the hub will, signs it, appends it to the
log and the outbox and projects it, in one transaction. That import is itself the figure (b).
All licences are Dutch (an import issues licences of the importer's country); a check's
``--in`` is a host state, which only the validity question reads, not the query. Then, through
``Licences.notify_host`` / ``suspend`` (one event each, as an officer would), some licences are
notified to Belgium and some suspended there, so checks ``--in BE`` meet every answer.
Setting up is not timed: the store's key derivation is cut short (nothing measured derives a
key).

Measured:
(a) ``views.check`` in process, by number, by a folded part of a company's name (lower case,
    no diacritics: what an officer types), by registration number, and by number ``--in BE``,
    over random queries each: median and p99 ms per query. Floor: the same store's primary-key
    lookup of one licence (``SELECT record FROM licences WHERE number = ?``).
(b) ``Licences.import_file`` of the CSV. Floors in the same run: reading and parsing the CSV
    alone (``read_records`` and the import's own row checks) and inserting the rows the import
    projected into a plain table of the same store (``executemany``, one transaction); their sum
    is what any import must pay, and the ratio to it is the cost of the rules, the signatures,
    the log and the outbox. A third floor adds raw Ed25519 signing of as many event-sized
    messages (``cryptography``): the part of the signatures no implementation can avoid.
    ``--profile`` runs the import under cProfile and prints where its time goes.
(c) ``Licences.import_file`` of the same file again: nothing changes (100,000 unchanged).

Targets (issue 13): a check <= 20 ms per query in process.
"""

from __future__ import annotations

import argparse
import csv
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

from synth import LANGUAGES, _word, machine  # noqa: E402

CIT = "euro-cash-in-transit"
DAY = "2027-03-01"  # the day every check asks about
FORMS = ("B.V.", "N.V.", "GmbH", "S.A.", "Sp. z o.o.", "Kft.", "s.r.o.", "AB", "Oy", "S.p.A.", "Ltd")
TRADES = ("Geldtransport", "Cash Logistics", "Wertdienst", "Transport de fonds", "Värdetransport", "Pénzszállító",
          "Konwój", "Trasporto valori")
COLUMNS = ["number", "company_name", "registration_number", "address", "valid_from", "valid_to", "national_licence",
           "cit_activity_24_months", "good_repute", "insurance", "staff_vehicles_procedures", "contact"]
COMMON = {w for name in TRADES + FORMS for w in name.split()}  # words many companies share: not typed
TARGET_MS = 20.0
BY_COMPANY = "rowid IN (SELECT rowid FROM licences WHERE instr(company_folded, ?) > 0)"  # views.find's shape
HOSTED, SUSPENDED = 400, 100  # licences notified to BE, and of those suspended there


# -- the data ----------------------------------------------------------------------------------
def licences(count: int, seed: int = 2026) -> list[dict[str, str]]:
    """``count`` Dutch licences as CSV rows: a company name in one of the 26 languages' letters,
    a registration number, 5-year validity starting between 2023 and 2027."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        lang = rng.choice(LANGUAGES)
        start = f"{rng.randint(2023, 2027)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        rows.append({"number": f"NL-CIT-{i:06d}",
                     "company_name": f"{_word(rng, lang)} {rng.choice(TRADES)} {_word(rng, lang)} {rng.choice(FORMS)}",
                     "registration_number": f"KVK {rng.randrange(10**7, 10**8)}-{i}",
                     "address": f"{_word(rng, 'nl')}straat {rng.randint(1, 300)}, {_word(rng, 'nl')}",
                     "valid_from": start, "valid_to": f"{int(start[:4]) + 5}{start[4:8]}{min(int(start[8:]), 28):02d}",
                     "national_licence": "yes", "cit_activity_24_months": rng.choice(["yes", "no", ""]),
                     "good_repute": "yes", "insurance": "yes", "staff_vehicles_procedures": "yes",
                     "contact": f"office{i}@example.nl" if rng.random() < 0.5 else ""})
    return rows


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


# -- the network ---------------------------------------------------------------------------------
def network(hub, url: str, workdir: Path):
    """NL's coordinator registers NL-DNB and its licensing officer, BE's registers BE-POL; returns
    the officer's store, enrolled and synced."""
    from imi_cli.demo.network import _coordinator, _node, _register, _sync

    nl = _coordinator(hub, workdir, url, "NL", "nl", "NCO NL")
    be = _coordinator(hub, workdir, url, "BE", "fr", "NCO BE")
    code = _register(nl, {"id": "NL-DNB", "country": "NL", "names": {"nl": "De Nederlandsche Bank"},
                          "languages": "nl;en", "areas": CIT, "competences": "geldtransport",
                          "email": "cit@example.nl"},
                     {"id": "nl.officer", "name": "Officer NL", "email": "officer@example.nl", "authority": "NL-DNB",
                      "roles": "licensing_officer"})
    _register(be, {"id": "BE-POL", "country": "BE", "names": {"fr": "Police fédérale"}, "languages": "fr;nl",
                   "areas": CIT, "competences": "transport de fonds", "email": "cit@example.be"},
              {"id": "be.officer", "name": "Officer BE", "email": "officer@example.be", "authority": "BE-POL",
               "roles": "licensing_officer"})
    officer = _node(workdir, "nl-officer", url, code)
    _sync(officer)
    for store in (nl, be):
        store.close()
    return officer


# -- (b) the import and its floors -----------------------------------------------------------------
def parse_floor(path: Path) -> float:
    """Reading and parsing the CSV with the import's own reader and row checks, nothing written."""
    from imi_cli.bulk.readers import read_records
    from imi_cli.repositories.licences.service import COLUMNS as SERVICE_COLUMNS
    from imi_cli.repositories.licences.service import _record

    t = time.perf_counter()
    problems: list = []
    records = [_record(where, raw, problems) for where, raw in read_records(path, None, columns=SERVICE_COLUMNS,
                                                                            list_key="licences")]
    took = time.perf_counter() - t
    assert not problems and all(records), problems[:3]
    return took


def insert_floor(store) -> float:
    """The rows the import projected, inserted into a plain table of the same store (same
    columns, the primary key, no other index), one ``executemany`` in one transaction."""
    from imi_cli.repositories.licences.projection import COLUMNS as PROJECTED

    rows = store.query(f"SELECT {', '.join(PROJECTED)} FROM licences")
    with store.transaction() as conn:
        conn.execute(f"CREATE TABLE floor_licences ({PROJECTED[0]} TEXT PRIMARY KEY, {', '.join(PROJECTED[1:])})")
        t = time.perf_counter()
        conn.executemany(f"INSERT INTO floor_licences VALUES ({','.join('?' * len(PROJECTED))})", rows)
    took = time.perf_counter() - t
    with store.transaction() as conn:
        conn.execute("DROP TABLE floor_licences")
    return took


def sign_floor(store, count: int) -> float:
    """Ed25519 signatures of ``count`` messages the size of a stored licence.issued event (raw
    ``cryptography``, no event building): what signing must cost an import whatever it does."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    body = store.query("SELECT body FROM events WHERE type = 'licence.issued' LIMIT 1")[0][0]
    message = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    key = Ed25519PrivateKey.generate()
    t = time.perf_counter()
    for i in range(count):
        key.sign(message + i.to_bytes(4, "big"))
    return time.perf_counter() - t


def hosts(store, count: int) -> list[int]:
    """Some licences notified to BE (start 2026-06-01) and some of those suspended there
    around DAY, as NL's officer and (by scope) the host state would."""
    from imi_cli.repositories.licences.service import Licences

    service = Licences(store)
    rng = random.Random(5)
    chosen = rng.sample(range(count), min(HOSTED, count))
    for i in chosen:
        service.notify_host(f"NL-CIT-{i:06d}", host="BE", start="2026-06-01",
                            transport_types=["euro banknotes by road"], staff=["Piet de Vries"], weapons="none",
                            notice_date="2026-03-01")
    for i in chosen[:SUSPENDED]:
        service.suspend(f"NL-CIT-{i:06d}", start="2027-02-15", end="2027-03-31", reason="bench")
    return chosen


# -- (a) the checks ---------------------------------------------------------------------------------
def queries(rows: list[dict[str, str]], hosted: list[int], n: int, rng: random.Random) -> dict[str, list]:
    """What an officer types: a number, part of a company's name without case or accents (a
    word of it, or a prefix of a word), a registration number, a number checked in BE."""
    from imi_cli.directory.search import fold

    def company(row):
        words = [w for w in row["company_name"].split() if len(w) >= 4 and w not in COMMON]
        word = fold(rng.choice(words))
        return word if rng.random() < 0.5 else word[: max(4, len(word) - 2)]

    return {
        "by number": [({"number": r["number"]}, None) for r in rng.choices(rows, k=n)],
        "by company (folded part of a name)": [({"company": company(r)}, None) for r in rng.choices(rows, k=n)],
        "by registration number": [({"registration": r["registration_number"].lower()}, None)
                                   for r in rng.choices(rows, k=n)],
        "by number --in BE (notified)": [({"number": rows[i]["number"]}, "BE") for i in rng.choices(hosted, k=n)],
        "by number --in BE (any)": [({"number": r["number"]}, "BE") for r in rng.choices(rows, k=n)],
    }


def run(conn, mix: list) -> tuple[list[float], list[float], int, int]:
    """Each query's wall and CPU time (ms: the CPU moves less when the machine is shared)."""
    from imi_cli.repositories.licences.views import check

    times, cpu, found, valid = [], [], 0, 0
    for criteria, country in mix:
        t, c = time.perf_counter(), time.process_time()
        answers = check(conn, DAY, country, **criteria)
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
        found += bool(answers)
        valid += any(a["valid"] for a in answers)
    return times, cpu, found, valid


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def main() -> int:
    from synth import ensure_bytecode

    ensure_bytecode()
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100_000, help="licences in the CSV (default 100,000)")
    parser.add_argument("--queries", type=int, default=1000, help="queries of each kind")
    parser.add_argument("--profile", action="store_true", help="cProfile the import; print the top functions")
    args = parser.parse_args()

    import imi_cli.log.store as store_module
    from imi_cli.hub.background import BackgroundHub
    from imi_cli.hub.state import init_hub
    from imi_cli.repositories.licences.service import Licences

    store_module.KDF_ITERATIONS = 1000  # set-up only: no measured step derives a key
    load = os.getloadavg()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        hub = init_hub(workdir / "hub.db", "bench hub passphrase")
        with BackgroundHub(hub) as served:
            store = network(hub, served.url, workdir)
        hub.store.close()
        rows = licences(args.count)
        path = write_csv(workdir / "licences.csv", rows)
        print(f"set-up: NL-DNB's officer's store enrolled, {args.count:,} licences in a CSV of "
              f"{path.stat().st_size / 1e6:.1f} MB, {time.perf_counter() - started:.1f} s")

        parse = parse_floor(path)
        service = Licences(store)
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.enable()
        t, cpu = time.perf_counter(), time.process_time()
        first = service.import_file(path)
        imported, imported_cpu = time.perf_counter() - t, time.process_time() - cpu
        if args.profile:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        assert first["issued"] == args.count and not first["changed"], first
        insert = insert_floor(store)
        signing = sign_floor(store, args.count)
        t = time.perf_counter()
        again = service.import_file(path)
        second = time.perf_counter() - t
        assert again["unchanged"] == args.count and not again["issued"] and not again["changed"], again
        events = store.query("SELECT count(*) FROM events WHERE type = 'licence.issued'")[0][0]
        size = path.stat().st_size

        t = time.perf_counter()
        hosted = hosts(store, args.count)
        print(f"set-up: {len(hosted)} licences notified to BE, {SUSPENDED} of them suspended there, "
              f"{time.perf_counter() - t:.1f} s")
        mixes = queries(rows, hosted, args.queries, random.Random(7))
        run(store.conn, [m for mix in mixes.values() for m in mix[:10]])  # warm the page cache
        results = {label: run(store.conn, mix) for label, mix in mixes.items()}
        floor = []
        for r in random.Random(3).choices(rows, k=args.queries):
            t = time.perf_counter()
            store.query("SELECT record FROM licences WHERE number = ?", (r["number"],))
            floor.append((time.perf_counter() - t) * 1000)
        plans = {label: store.query("EXPLAIN QUERY PLAN SELECT number FROM licences WHERE " + where, (value,))
                 for label, where, value in (("company", BY_COMPANY, "x"),
                                             ("registration", "registration_number = ?", "x"))}
        store.close()

    print(f"machine: {machine()}; load average before {load[0]:.2f} / {load[1]:.2f}, "
          f"after {os.getloadavg()[0]:.2f}; whole run {time.perf_counter() - started:.0f} s")
    print(f"(a) views.check over {args.count:,} licences, in process, {args.queries} queries of each kind, "
          f"on {DAY}:")
    worst = 0.0
    for label, (times, cpu, found, valid) in results.items():
        worst = max(worst, statistics.median(times), p99(times))
        print(f"  {label:36s} median {statistics.median(times):6.2f} ms, p99 {p99(times):6.2f} ms, "
              f"max {max(times):6.2f} ms; CPU median {statistics.median(cpu):6.2f}, p99 {p99(cpu):6.2f} ms "
              f"({found} found, {valid} valid)")
    print(f"  floor: one primary-key lookup (SELECT record ... WHERE number = ?): median "
          f"{statistics.median(floor):.3f} ms, p99 {p99(floor):.3f} ms")
    print(f"  target <= {TARGET_MS:.0f} ms per query (median and p99): {'met' if worst <= TARGET_MS else 'MISSED'}")
    for label, plan in plans.items():
        print(f"  query plan by {label}: {'; '.join(step[-1] for step in plan)}")
    print(f"(b) Licences.import_file of {args.count:,} licences ({size / 1e6:.1f} MB CSV), all or nothing: "
          f"{imported:.1f} s wall, {imported_cpu:.1f} s CPU ({args.count / imported:,.0f} licences/s); "
          f"{first['issued']:,} issued, {events:,} licence.issued events in the log")
    print(f"  floor: read + parse + row checks {parse:.2f} s; insert of the projected rows into a plain table "
          f"{insert:.2f} s; sum {parse + insert:.2f} s -> the import is {imported / (parse + insert):.1f}x its floor")
    print(f"  with the signatures: raw Ed25519 signing of {args.count:,} event-sized messages {signing:.2f} s; "
          f"parse + sign + insert {parse + signing + insert:.2f} s -> {imported / (parse + signing + insert):.1f}x")
    print(f"(c) the same file again: {second:.1f} s, {again['unchanged']:,} unchanged, nothing written "
          f"({second / (parse + insert):.1f}x the floor)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
