"""The files an exchange carries, as this store holds them: listed, picked by a name a person
types, read back with their hash checked, and written to a file with a name that is safe.

A request carries attachments twice over: the requester's, given with the request, and the
responder's, given with each answer. The record keeps each one's name, size and SHA-256; the
content is in the (encrypted) ``request_attachments`` table under its hash. An attachment
whose content this store does not hold says why: ``withheld`` (never given to it),
``blocked`` (the data-protection clock) or ``erased``.

Alerts and notifications carry no attachments (a ``document`` question takes a reference).

The name is the sender's choice: before it becomes a file name here, path separators, control
and bidirectional characters, leading dots and runs of dots are taken out (``safe_name``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import unicodedata
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from imi_cli.errors import Conflict, ImiError, NotFound, Rejected, UsageError
from imi_cli.i18n import N_, _, t

__all__ = ["Attachment", "content", "log_read", "of_request", "of_stored_request", "pick", "read_request_attachment",
           "safe_name", "write_new"]

HELD = "held"


@dataclass(frozen=True)
class Attachment:
    index: int              # 1, 2, ...: the request's first, then each answer's in order
    name: str
    size: int | None
    sha256: str | None      # None: this store does not hold the content
    source: str             # "request" or "answer"
    round: int | None       # the answer's round (1, 2 ... ) for an answer's attachment
    content: str            # held | withheld | blocked | erased

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def of_request(record: dict[str, Any]) -> list[Attachment]:
    """The attachments of a request's record: the request's own, then each answer's."""
    found: list[tuple[dict[str, Any], str, int | None]] = [
        (a, "request", None) for a in _items(record.get("attachments"))]
    for number, answer in enumerate(_items(record.get("answers")), 1):
        found += [(a, "answer", number) for a in _items(answer.get("attachments"))]
    return [_attachment(i, a, source, number) for i, (a, source, number) in enumerate(found, 1)]


def _items(value: Any) -> list[dict[str, Any]]:
    return [a for a in value if isinstance(a, dict)] if isinstance(value, list) else []


def _attachment(index: int, a: dict[str, Any], source: str, number: int | None) -> Attachment:
    digest = a.get("sha256") if isinstance(a.get("sha256"), str) else None
    size = a.get("size") if isinstance(a.get("size"), int) and not isinstance(a.get("size"), bool) else None
    state = HELD if digest else str(a.get("content") or "withheld")
    return Attachment(index, str(a.get("name") or ""), size, digest, source, number, state)


def pick(items: list[Attachment], given: str, where: str) -> Attachment:
    """The attachment ``given`` names: its name as listed, its number in the list, or a prefix
    (4+ hex digits) of its SHA-256. Two with the name and different contents: refused, naming
    their numbers. ``where`` names the exchange (``request 0195…``) in messages."""
    named = [a for a in items if a.name == given]
    if len({a.sha256 for a in named}) == 1:  # one, or copies of the same file
        return named[0]
    if named:
        raise UsageError(t("{where} has {n} attachments named {name!r}: give its number ({numbers}) or the "
                           "start of its sha256", where=where, n=len(named), name=given,
                           numbers=", ".join(str(a.index) for a in named)))
    if given.isdigit() and 1 <= int(given) <= len(items):
        return items[int(given) - 1]
    if re.fullmatch(r"[0-9a-fA-F]{4,64}", given):
        matched = {a.sha256: a for a in items if a.sha256 and a.sha256.startswith(given.lower())}
        if len(matched) == 1:
            return next(iter(matched.values()))
        if matched:
            raise UsageError(t("{prefix!r} starts the sha256 of more than one attachment of {where}: give more "
                               "of it", prefix=given, where=where))
    raise NotFound(t("{where} has no attachment {name!r}", where=where, name=given),
                   hint=_("`imi request attachment list ID` lists them by name and number"))


def content(conn: Any, item: Attachment, where: str) -> bytes:
    """The attachment's bytes as this store holds them, only if their SHA-256 is the one the
    signed record names; otherwise an error, and nothing is returned."""
    if item.sha256 is None:
        state = _(_STATES[item.content]) if item.content in _STATES else item.content
        raise NotFound(t("the content of {name!r} of {where} is {state}: this store does not hold it",
                         name=item.name, where=where, state=state))
    row = conn.execute("SELECT content FROM request_attachments WHERE sha256 = ?", (item.sha256,)).fetchone()
    if row is None:
        raise NotFound(t("the content of {name!r} of {where} is missing from this store", name=item.name,
                         where=where), hint=_REBUILD())
    data = bytes(row[0])
    if hashlib.sha256(data).hexdigest() != item.sha256 or (item.size is not None and len(data) != item.size):
        raise ImiError(t("the stored content of {name!r} of {where} does not match its sha256 {digest}: it was "
                         "damaged or altered in this store; nothing was written", name=item.name, where=where,
                         digest=item.sha256), hint=_REBUILD())
    return data


def _REBUILD() -> str:  # noqa: N802 -- a hint, translated when raised
    return _("`imi store rebuild` restores it from the signed log (`imi store verify` checks the log)")


# what became of a content this store does not hold (as `imi request show` says it)
_STATES = {"withheld": N_("withheld"), "blocked": N_("blocked"), "erased": N_("erased")}

# characters never kept in a file name: separators, what Windows forbids, control and
# bidirectional characters (a name "gpj.exe" shown reversed), line separators
_FORBIDDEN = re.compile(r'[/\\:*?"<>|\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]')
_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
MAX_NAME_BYTES = 255
FALLBACK = "attachment"


def safe_name(name: str) -> str:
    """``name`` as a file name in the current folder, whatever the sender wrote: one name, no
    path (separators become ``_``), no ``..``, no control or bidirectional characters, not
    hidden (no leading dot), not an option (no leading ``-``), at most 255 bytes (the
    extension kept). An empty result is ``attachment``."""
    text = _FORBIDDEN.sub("_", unicodedata.normalize("NFC", str(name)))
    text = re.sub(r"\.{2,}", ".", text).strip(" .")
    if text.startswith("-"):
        text = "_" + text[1:]
    if text.split(".")[0].upper() in _DEVICES:
        text = "_" + text
    return _shortened(text) or FALLBACK


def _shortened(name: str) -> str:
    if len(name.encode("utf-8")) <= MAX_NAME_BYTES:
        return name
    stem, dot, ext = name.rpartition(".")
    ext = ext if dot and stem and len(ext.encode("utf-8")) <= 16 else ""
    room = MAX_NAME_BYTES - len(ext.encode("utf-8")) - (1 if ext else 0)
    base = (stem if ext else name).encode("utf-8")[:room].decode("utf-8", "ignore").rstrip(" .")
    return f"{base}.{ext}" if ext else base


def write_new(path: Path, data: bytes, *, force: bool) -> None:
    """Write ``data`` to ``path`` at once or not at all: a fresh file readable by its owner only
    (0600: attachments carry personal data), made beside the target and then linked into
    place, which fails if the name was taken meanwhile; ``force``: renamed over what is there
    (a link is replaced, never followed)."""
    folder = path.parent
    temp = folder / f".{path.name[:200]}.{secrets.token_hex(6)}.part"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(temp, flags, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if force:
            os.replace(temp, path)
        else:
            _link_new(temp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)


def _link_new(temp: Path, path: Path) -> None:
    try:
        os.link(temp, path)
    except FileExistsError:
        raise exists(path) from None
    except OSError:  # a file system without hard links: the check and the rename, close together
        if os.path.lexists(path):
            raise exists(path) from None
        os.replace(temp, path)


def exists(path: Path) -> Conflict:
    return Conflict(t("{path} already exists; nothing was written", path=str(path)),
                    hint=_("--force replaces it, or -o FILE names another file"))


# -- a request's attachments, read as its personal data is -----------------------------------
def of_stored_request(store: Any, rid: str) -> list[Attachment]:
    """The attachments of request ``rid`` as this store holds it (``NotFound`` if it does not)."""
    from imi_cli.exchanges.requests.service import Requests

    return of_request(Requests(store).get(rid)["record"])


def read_request_attachment(store: Any, rid: str, given: str, reason: str | None) -> tuple[Attachment, bytes, bool]:
    """The attachment of request ``rid`` that ``given`` names and its bytes, hash checked, and
    whether the request is blocked. A blocked request's content is read only by a
    data-protection officer with a reason, folded again in a transaction rolled back (as
    `imi privacy read`); anyone else is refused. Nothing is logged here: ``log_read`` does,
    once the caller knows the file can be written."""
    from imi_cli.privacy.blocking import check_reason, is_blocked, is_officer, unsealed_view

    where = t("request {id}", id=rid)
    items = of_stored_request(store, rid)
    if not is_blocked(store.conn, f"request/{rid}"):
        if reason is not None:
            check_reason(reason)
        item = pick(items, given, where)
        return item, content(store.conn, item, where), False
    if not is_officer(store):
        raise Rejected(t("the personal data of {where} is blocked (the data-protection clock, after its "
                         "closure), its attachments with it", where=where), reason="not_allowed",
                       hint=_("a data-protection officer saves it with --reason WHY; the read is logged"))
    check_reason(reason)

    def unsealed(conn: Any) -> tuple[Attachment, bytes]:
        from imi_cli.exchanges.requests.projection import load

        found = of_request((load(conn, rid) or {}).get("record") or {})
        item = pick(found, given, where)
        return item, content(conn, item, where)

    item, data = unsealed_view(store, [f"request/{rid}"], unsealed)
    return item, data, True


def log_read(store: Any, rid: str, *, blocked: bool, reason: str | None) -> None:
    """The read into the access log (`imi privacy log`): a blocked request's as a read of
    blocked data with its reason, any other as a saved attachment (with the reason if given)."""
    from imi_cli.privacy.access import record

    fields: dict[str, Any] = {"reason": reason.strip()} if reason else {}
    record(store, "blocked.read" if blocked else "request.attachment", entity=f"request/{rid}", **fields)
