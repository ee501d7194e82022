"""The encrypted store: one SQLCipher database file per official, coordinator or hub.

Keys: the passphrase goes through SQLCipher's own KDF (PBKDF2-HMAC-SHA512,
256,000 iterations, the 16-byte salt at the head of the file); we derive it
in Python and always open with the raw key, so an unlocked session can cache
the key and skip the ~200 ms KDF. The file stays a standard SQLCipher 4
database that the sqlcipher shell opens with the passphrase.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from imi_cli.errors import Conflict, ImiError, NotAStore, NotFound, StoreBusy, UsageError, WrongPassphrase
from imi_cli.i18n import t

KDF_ITERATIONS = 256_000
SALT_BYTES = 16
KEY_BYTES = 32
PAGE_SIZE = 4096
_PLAIN_SQLITE = b"SQLite format 3\x00"


def derive_key(passphrase: str, salt: bytes) -> bytes:
    """SQLCipher 4's default key derivation, so the raw key opens the same file."""
    import hashlib  # (here: it loads OpenSSL, ~3 ms; a cached key needs no derivation)

    return hashlib.pbkdf2_hmac("sha512", passphrase.encode("utf-8"), salt, KDF_ITERATIONS, KEY_BYTES)


def read_salt(path: Path) -> bytes:
    """The salt SQLCipher keeps in the first 16 bytes; also tells a store from other files."""
    try:
        with path.open("rb") as handle:
            head = handle.read(SALT_BYTES)
        size = path.stat().st_size
    except FileNotFoundError:
        raise NotFound(t("no store at {path}", path=str(path)), hint=t("create one with `imi init`")) from None
    except IsADirectoryError:
        raise NotAStore(t("{path} is a folder, not an imi store", path=str(path))) from None
    if head == _PLAIN_SQLITE:
        raise NotAStore(t("{path} is a plain (unencrypted) SQLite database, not an imi store", path=str(path)))
    if size < PAGE_SIZE or size % 1024:
        raise NotAStore(t("{path} is not an imi store (not an encrypted database file)", path=str(path)))
    return head


def _connect(path: Path, key: bytes, salt: bytes | None, busy_timeout_ms: int):
    import sqlcipher3

    conn = sqlcipher3.connect(str(path), timeout=busy_timeout_ms / 1000, isolation_level=None,
                              check_same_thread=False)
    # SQLCipher logs "ERROR CORE ..." lines to stderr on a wrong key: keep them off the terminal.
    conn.execute("PRAGMA cipher_log_level = NONE")
    raw = key.hex() + (salt.hex() if salt else "")
    conn.execute(f"PRAGMA key = \"x'{raw}'\"")
    return conn


IN_CHUNK = 500  # ids per IN (...) list, well under SQLite's limit on bound parameters


def in_chunks(conn: Any, sql: str, values: list[Any]) -> list[tuple[Any, ...]]:
    """Run ``sql`` (with one ``{}`` where the placeholders of an IN list go) over ``values``
    in chunks; the rows of every chunk."""
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(values), IN_CHUNK):
        chunk = values[start:start + IN_CHUNK]
        rows += conn.execute(sql.format(",".join("?" * len(chunk))), chunk).fetchall()
    return rows


def database_error(exc: BaseException, path: Path) -> ImiError | None:
    """The user-facing error for what SQLite says about a damaged, full or read-only store
    (found at any query, not only on opening); None for anything else."""
    import sqlcipher3

    if not isinstance(exc, sqlcipher3.DatabaseError):
        return None
    text = str(exc)
    if "malformed" in text or "not a database" in text:
        return NotAStore(t("{path} is damaged ({detail})", path=str(path), detail=text),
                         hint=t("restore it from a backup; an enrolled store can be re-created and "
                                "enrolled again with a new invitation"))
    if "readonly" in text:
        return ImiError(t("{path} cannot be written ({detail})", path=str(path), detail=text),
                        hint=t("check the permissions of the file and its folder"))
    if "disk is full" in text or "disk I/O" in text:
        return ImiError(t("{path} cannot be written ({detail})", path=str(path), detail=text),
                        hint=t("free some disk space"))
    return None


def _new_store_path(path: Path) -> Path:
    """``path`` for a new store: refused if something is there or its folder is missing."""
    path = Path(path)
    if path.exists():
        raise Conflict(t("{path} already exists", path=str(path)),
                       hint=t("choose another --store path, or use the existing store"))
    if not path.parent.exists():
        raise NotFound(t("folder {path} does not exist", path=str(path.parent)))
    return path


@contextmanager
def transaction_of(conn: Any) -> Iterator[Any]:
    """``Store.transaction`` of a bare connection: BEGIN IMMEDIATE ... COMMIT, rolled back on
    any error, StoreBusy when another process keeps writing past the busy timeout."""
    import sqlcipher3

    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlcipher3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise StoreBusy(t("the store is locked by another imi process"),
                            hint=t("wait for it to finish, or raise busy_timeout_ms")) from None
        raise
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class Store:
    """An open store. ``conn`` is a sqlcipher3 connection in autocommit mode;
    use ``transaction()`` for anything that writes."""

    _key: bytes | None = None  # the raw key it was opened with, if asked to keep it (``connect_again``)

    def __init__(self, conn: Any, path: Path) -> None:
        self.conn = conn
        self.path = path

    @property
    def keeps_key(self) -> bool:
        """Was it opened with ``keep_key`` (so that ``connect_again`` can)?"""
        return self._key is not None

    def connect_again(self) -> Any:
        """Another connection to this store, keyed as this one was: for a long-running
        process's background job (the hub's checkpoints: hub/checkpoints.py)."""
        if self._key is None:
            raise ValueError("the store's key is not known to this process")
        busy = self.conn.execute("PRAGMA busy_timeout").fetchone()[0]
        return _connect(self.path, self._key, None, busy)

    # -- opening ---------------------------------------------------------
    @classmethod
    def create(cls, path: Path, passphrase: str, *, busy_timeout_ms: int = 5000, keep_key: bool = False) -> Store:
        """``keep_key``: as for ``open``."""
        path = _new_store_path(path)
        if len(passphrase) < 8:
            raise UsageError(t("the passphrase is too short: use at least 8 characters"))
        import secrets

        salt = secrets.token_bytes(SALT_BYTES)
        key = derive_key(passphrase, salt)
        store = cls._create(path, key, salt, busy_timeout_ms)
        if keep_key:
            store._key = key
        return store

    @classmethod
    def create_raw(cls, path: Path, key: bytes, *, busy_timeout_ms: int = 5000) -> Store:
        """A new store keyed directly by a raw 32-byte key (no passphrase, no KDF: a hub
        replica's key is derived from the hub key); open it again with ``Store.open(path, key)``.
        SQLCipher makes the file's salt itself (it keys the pages' HMAC)."""
        if len(key) != KEY_BYTES:
            raise ValueError(f"a raw store key is {KEY_BYTES} bytes")
        path = _new_store_path(path)
        return cls._create(path, key, None, busy_timeout_ms)

    @classmethod
    def _create(cls, path: Path, key: bytes, salt: bytes | None, busy_timeout_ms: int) -> Store:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))  # user-only from birth
        conn = _connect(path, key, salt, busy_timeout_ms)
        store = cls(conn, path)
        store._configure()
        from imi_cli.log.schema import migrate

        migrate(store)
        return store

    @classmethod
    def open(cls, path: Path, key: bytes, *, busy_timeout_ms: int = 5000, keep_key: bool = False) -> Store:
        """Open with the raw (derived) key. Raises WrongPassphrase if it does not fit.
        ``keep_key``: keep it for ``connect_again`` (a serving hub's checkpoints)."""
        path = Path(path)
        read_salt(path)  # existence and file-kind checks, with clear messages
        conn = _connect(path, key, None, busy_timeout_ms)
        store = cls(conn, path)
        store._check_key()
        if keep_key:
            store._key = key
        from imi_cli.log.schema import migrate

        try:
            store._configure()
            migrate(store)
        except BaseException:
            store.close()
            raise
        return store

    def _check_key(self) -> None:
        import sqlcipher3

        try:
            self.conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlcipher3.DatabaseError as exc:
            self.conn.close()
            damage = database_error(exc, self.path)
            if damage is not None and "malformed" in str(exc):
                raise damage from None
            raise WrongPassphrase(t("wrong passphrase for this store")) from None

    def _configure(self) -> None:
        busy = self.conn.execute("PRAGMA busy_timeout").fetchone()[0]
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self.conn.execute("PRAGMA foreign_keys = ON")
        self.conn.execute("PRAGMA temp_store = MEMORY")  # no plaintext temp files beside the store
        # what is deleted (erased personal data above all) is overwritten, not left in free pages
        self.conn.execute("PRAGMA secure_delete = ON")
        # Every page read from disk is decrypted and checked; keep up to 32 MB of them (the
        # default 2 MB makes a search over 100,000 authorities decrypt the same pages again).
        self.conn.execute("PRAGMA cache_size = -32768")
        self.conn.execute(f"PRAGMA busy_timeout = {busy}")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- use -------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any error; waits for other writers
        up to the busy timeout, then says the store is busy."""
        with transaction_of(self.conn) as conn:
            yield conn

    def query(self, sql: str, params: Any = ()) -> list[Any]:
        return self.conn.execute(sql, params).fetchall()

    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT INTO meta(key, value) VALUES (?, ?) "
                          "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))
