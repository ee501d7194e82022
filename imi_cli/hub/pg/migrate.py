"""`imi hub migrate --to URL`: a hub's SQLCipher store moved to an empty PostgreSQL database.

What is copied is what PostgreSQL holds for a hub (imi_cli/hub/pg/schema.py): the events with
their SAME sequence numbers (bodies sealed with the hub key), their audiences, the receipts,
the disclosures (sealed; erased ones stay erased), entity_versions, privacy_marks, the nonces
still within the signing window, the spent invitations, the head (last sequence number and
retention point) and the operator's key (sealed). The projections are not copied: each hub
process rebuilds its replica from these tables, as `imi rebuild` does. One ``changes`` row
marks the copy, so a replica knows where the stream starts.

Nodes therefore keep their cursors and receipts: the same operator key signs, the same numbers
follow, and an old event pushed again gets its old receipt. Everything is written in one
PostgreSQL transaction: a failure leaves the database as it was (and a key file made for the
copy is removed again). The store is read in one read transaction (a consistent snapshot).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from imi_cli.i18n import t

BATCH = 2000


def _columns(conn: Any, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})").fetchall()}


def migrate_store(store: Any, url: str, key_file: Path) -> dict[str, Any]:
    """Copy the hub store ``store`` (open) into the empty database at ``url``, sealed with the
    key in ``key_file`` (made if missing). Returns hub_id, key_id, last_seq, retained_from, events."""
    from imi_cli.errors import Conflict, UsageError
    from imi_cli.hub.pg import keys
    from imi_cli.hub.pg.connect import connect, shown_url
    from imi_cli.hub.pg.init import INIT_LOCK, OPERATOR_AAD
    from imi_cli.hub.pg.schema import migrate
    from imi_cli.log.crypto import b64

    if store.meta("role") != "hub" or store.meta("operator_key") is None:
        raise UsageError(t("{path} is not a hub store", path=str(store.path)))
    key_file = Path(key_file)
    key = keys.load_key(key_file) if key_file.exists() else None  # a bad key file: refused before anything
    conn = connect(url)
    created = False
    source = store.conn
    source.execute("BEGIN")  # one snapshot of the store, even if a hub still writes to it
    try:
        with conn.transaction():
            migrate(conn)
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (INIT_LOCK,))
            if conn.execute("SELECT 1 FROM hub_meta LIMIT 1").fetchone() or \
                    conn.execute("SELECT 1 FROM events LIMIT 1").fetchone():
                raise Conflict(t("the database {url} already holds a hub", url=shown_url(url)))
            if key is None:
                key = keys.create_key_file(key_file)
                created = True
            sealed = keys.seal(key, store.meta("operator_key").encode("ascii"), OPERATOR_AAD)
            meta = {"hub_id": str(uuid.uuid4()), "key_id": keys.key_id(key), "operator_key": b64(sealed)}
            with conn.cursor() as cur:
                cur.executemany("INSERT INTO hub_meta(key, value) VALUES (%s, %s)", list(meta.items()))
                done = _copy(source, cur, key)
            retained = int(store.meta("retained_from", "0") or 0)
            last_seq = max(done["max_seq"], retained)
            conn.execute("UPDATE hub_head SET last_seq = %s, last_change = 1, retained_from = %s",
                         (last_seq, retained))
            from imi_cli.log import clock

            conn.execute("INSERT INTO changes(change_no, kind, first_seq, last_seq, op, at) "
                         "VALUES (1, 'events', %s, %s, NULL, %s)",
                         (done["min_seq"], last_seq, clock.iso(clock.now())))
            counted = conn.execute("SELECT count(*) FROM events").fetchone()[0]
            if counted != done["events"]:  # never commit a partial copy
                raise RuntimeError("the copy of the events is incomplete")
    except BaseException:
        if created:  # nothing was committed: the new key file seals nothing
            key_file.unlink(missing_ok=True)
        raise
    finally:
        source.execute("ROLLBACK")
        conn.close()
    return {"hub_id": meta["hub_id"], "key_id": meta["key_id"], "last_seq": last_seq, "retained_from": retained,
            "events": done["events"]}


def _rows(source: Any, sql: str) -> Any:
    cursor = source.execute(sql)
    while True:
        batch = cursor.fetchmany(BATCH)
        if not batch:
            return
        yield from batch


def _copy(source: Any, cur: Any, key: bytes) -> dict[str, int]:
    """The base tables, store -> PostgreSQL (COPY). Returns events, min_seq and max_seq."""
    from imi_cli.hub.pg.keys import seal
    from imi_cli.protocol.signing import WINDOW_SECONDS

    n, lowest, highest = 0, 0, 0
    with cur.copy("COPY events (seq, id, type, at, received_at, body) FROM STDIN") as copy:
        for seq, ident, kind, at, body, received in _rows(
                source, "SELECT seq, id, type, at, body, coalesce(received_at, at) FROM events ORDER BY seq"):
            copy.write_row((seq, ident, kind, at, received,
                            seal(key, body.encode("utf-8"), b"imi-event\0" + ident.encode("utf-8"))))
            n, highest = n + 1, seq
            lowest = lowest or seq
    with cur.copy("COPY event_audience (authority, seq) FROM STDIN") as copy:
        for row in _rows(source, "SELECT authority, seq FROM event_audience"):
            copy.write_row(row)
    digest = "body_sha256" if "body_sha256" in _columns(source, "receipts") else "NULL"
    with cur.copy("COPY receipts (event_id, seq, receipt, body_sha256) FROM STDIN") as copy:
        for event_id, receipt, sha in _rows(source, f"SELECT event_id, receipt, {digest} FROM receipts"):
            copy.write_row((event_id, int(json.loads(receipt)["seq"]), receipt, sha))
    blocked = "blocked_at" if "blocked_at" in _columns(source, "disclosures") else "NULL"
    with cur.copy("COPY disclosures (event_id, digest, entity, disclosure, erased_at, blocked_at) FROM STDIN") as copy:
        for event_id, dig, entity, disclosure, erased, blocked_at in _rows(
                source, f"SELECT event_id, digest, entity, disclosure, erased_at, {blocked} FROM disclosures"):
            sealed = None if disclosure is None else seal(
                key, disclosure.encode("utf-8"), b"imi-disclosure\0" + event_id.encode("utf-8") + b"\0"
                + dig.encode("utf-8"))
            copy.write_row((event_id, dig, entity, sealed, erased, blocked_at))
    with cur.copy("COPY entity_versions (entity, version) FROM STDIN") as copy:
        for row in _rows(source, "SELECT entity, version FROM entity_versions"):
            copy.write_row(row)
    with cur.copy("COPY privacy_marks (entity, closed_at, blocked_at, erased_at) FROM STDIN") as copy:
        for row in _rows(source, "SELECT entity, closed_at, blocked_at, erased_at FROM privacy_marks"):
            copy.write_row(row)
    from imi_cli.log import clock

    recent = clock.now().timestamp() - 2 * WINDOW_SECONDS  # as signing.use_nonce keeps them
    with cur.copy("COPY request_nonces (nonce, at) FROM STDIN") as copy:
        for row in source.execute("SELECT nonce, at FROM request_nonces WHERE at >= ?", (recent,)).fetchall():
            copy.write_row(row)
    spent: dict[str, int] = {}
    for seq, body in _rows(source, "SELECT seq, body FROM events WHERE type = 'invitation.spent'"):
        code = json.loads(body).get("payload", {}).get("code_hash")
        if isinstance(code, str):
            spent.setdefault(code, seq)
    for (code,) in source.execute("SELECT code_hash FROM invitations WHERE used_at IS NOT NULL").fetchall():
        spent.setdefault(code, 0)  # its event went with retention: spent all the same
    with cur.copy("COPY invitations_spent (code_hash, seq) FROM STDIN") as copy:
        for code, seq in spent.items():
            copy.write_row((code, seq))
    return {"events": n, "min_seq": lowest, "max_seq": highest}
