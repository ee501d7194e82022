"""Creating a hub in an empty PostgreSQL database, and opening it again.

``init_database`` makes the schema, the hub key file (if missing) and the operator's private
key, which is kept in ``hub_meta`` only sealed with the hub key. (The operator's first event is
added through the Hub, as for a SQLCipher hub.)
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from imi_cli.errors import Conflict, NotFound, WrongPassphrase
from imi_cli.hub.pg import keys
from imi_cli.hub.pg.connect import connect, shown_url
from imi_cli.hub.pg.schema import migrate
from imi_cli.i18n import t
from imi_cli.log.crypto import b64, new_private_key, public_key_of, unb64

OPERATOR_AAD = b"imi-operator"
INIT_LOCK = "imi-hub-init"


def init_database(url: str, key_file: Path) -> dict[str, str]:
    """Make a new hub in the database at ``url``: {"hub_id", "key_id", "operator_public_key"}.
    Refuses a database that already holds a hub (and then changes nothing, not even the key
    file). Creates ``key_file`` if it does not exist, else uses the key in it."""
    key_file = Path(key_file)
    key = keys.load_key(key_file) if key_file.exists() else None  # a bad existing file: refused first
    conn = connect(url)
    created = False
    try:
        migrate(conn)
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (INIT_LOCK,))
            if conn.execute("SELECT 1 FROM hub_meta LIMIT 1").fetchone():
                raise Conflict(t("the database {url} already holds a hub", url=shown_url(url)))
            if key is None:
                key = keys.create_key_file(key_file)
                created = True
            operator_key = new_private_key()
            sealed = keys.seal(key, operator_key.encode("ascii"), OPERATOR_AAD)
            meta = {"hub_id": str(uuid.uuid4()), "key_id": keys.key_id(key), "operator_key": b64(sealed)}
            with conn.cursor() as cur:
                cur.executemany("INSERT INTO hub_meta(key, value) VALUES (%s, %s)", list(meta.items()))
    except BaseException:
        if created:  # nothing was committed: the new key file would seal nothing
            key_file.unlink(missing_ok=True)
        raise
    finally:
        conn.close()
    return {"hub_id": meta["hub_id"], "key_id": meta["key_id"], "operator_public_key": public_key_of(operator_key)}


def open_database(url: str, key_file: Path) -> tuple[Any, bytes, dict[str, str]]:
    """The hub in the database at ``url``, opened with the key in ``key_file``: a connection
    (not in autocommit), the key, and hub_meta with ``operator_key`` decrypted. Refuses a
    database without a hub and a key file that is not this hub's."""
    key = keys.load_key(Path(key_file))
    conn = connect(url)
    try:
        migrate(conn)
        with conn.transaction():
            meta = dict(conn.execute("SELECT key, value FROM hub_meta").fetchall())
        if "hub_id" not in meta:
            raise NotFound(t("the database {url} holds no hub", url=shown_url(url)),
                           hint=t("create one with `imi hub init`"))
        if meta.get("key_id") != keys.key_id(key):
            raise WrongPassphrase(t("{path} is not this hub's key file", path=str(key_file)))
        meta["operator_key"] = keys.open_sealed(key, unb64(meta["operator_key"]), OPERATOR_AAD).decode("ascii")
    except BaseException:
        conn.close()
        raise
    return conn, key, meta
