"""Reading a store as an attacker with its key would: every page of the SQLCipher 4 file and of
its WAL decrypted, free pages included, whatever SQLite still uses them for.

SQLCipher 4 (the store's settings): pages of 4096 bytes, each ending in 80 reserved bytes (a
16-byte IV, then the HMAC); bytes [0, 4016) of a page are AES-256-CBC under the raw key with
that IV, except page 1, whose first 16 bytes are the salt in clear. The WAL is a 32-byte
header, then frames of a 24-byte header (the page number first) and one such page each.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

PAGE, RESERVE, IV = 4096, 80, 16
WAL_HEADER, FRAME_HEADER = 32, 24


def decrypt_page(page: bytes, number: int, key: bytes) -> bytes:
    """The plaintext of one page (page 1 without its salt)."""
    assert len(page) == PAGE, len(page)
    iv = page[PAGE - RESERVE:PAGE - RESERVE + IV]
    start = 16 if number == 1 else 0
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return decryptor.update(page[start:PAGE - RESERVE]) + decryptor.finalize()


def pages(path: Path, key: bytes) -> Iterator[tuple[str, int, bytes]]:
    """(file, page number, plaintext) for every page of the store and of its WAL."""
    data = path.read_bytes()
    assert len(data) % PAGE == 0, (path, len(data))
    for index in range(len(data) // PAGE):
        yield path.name, index + 1, decrypt_page(data[index * PAGE:(index + 1) * PAGE], index + 1, key)
    wal = path.with_name(path.name + "-wal")
    if wal.exists():
        data = wal.read_bytes()
        offset = WAL_HEADER
        while offset + FRAME_HEADER + PAGE <= len(data):
            number = int.from_bytes(data[offset:offset + 4], "big")
            page = data[offset + FRAME_HEADER:offset + FRAME_HEADER + PAGE]
            yield wal.name, number, decrypt_page(page, number, key)
            offset += FRAME_HEADER + PAGE


def check_header(path: Path, key: bytes) -> None:
    """Page 1 decrypts to a SQLite header (page size 4096, 80 reserved bytes): the key and the
    layout are right, so a scan that finds nothing means something."""
    plain = next(pages(path, key))[2]
    # the header after its first 16 bytes: page size (2 bytes), versions, reserved space
    assert plain[0:2] == b"\x10\x00" and plain[4] == RESERVE, plain[:8].hex()


def found_in_pages(path: Path, key: bytes, *needles: str) -> list[tuple[str, int, str]]:
    """Where any of ``needles`` (UTF-8, or escaped as JSON ASCII does) is in a decrypted page."""
    check_header(path, key)
    forms = {n: {n.encode(), n.encode("ascii", "backslashreplace").replace(b"\\x", b"\\u00")} for n in needles}
    hits = []
    for file, number, plain in pages(path, key):
        for needle, encoded in forms.items():
            if any(form in plain for form in encoded):
                hits.append((file, number, needle))
    return hits


def plaintext_files(folder: Path, *needles: str) -> list[str]:
    """Files in ``folder`` (the stores and whatever lies beside them) holding a needle in plain."""
    return [f.name for f in sorted(folder.rglob("*")) if f.is_file()
            and any(n.encode() in f.read_bytes() for n in needles)]


# -- reading a store whole through its own connection ----------------------------------------------
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,}")


def tables_holding(store: Any, *needles: str) -> set[str]:
    """The tables of the store (FTS shadow tables and all) in which a needle shows: in a value,
    in a base64url token of it decoded (a disclosure is one), or in a disclosure decoded."""
    from imi_cli.log.disclosures import parse_disclosure

    folded = [n.casefold() for n in needles]
    hits = set()
    tables = [t for (t,) in store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    assert {"events", "disclosures", "requests", "authority_fts_data", "licences_trigram_data"} <= set(tables)
    for table in tables:
        for row in store.conn.execute(f'SELECT * FROM "{table}"'):
            texts = [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in row]
            extra = []
            for text in texts:
                try:
                    extra.append(repr(parse_disclosure(text)))
                except Exception:
                    pass
                for token in _TOKEN.findall(text):
                    try:
                        extra.append(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
                                     .decode("utf-8", "replace"))
                    except (binascii.Error, ValueError):
                        pass
            whole = "\n".join(texts + extra).casefold()
            whole += "\n" + whole.encode("ascii", "backslashreplace").decode().replace("\\x", "\\u00")
            if any(n in whole for n in folded):
                hits.add(table)
    return hits
