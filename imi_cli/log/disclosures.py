"""Selective disclosure of personal fields (the technique of IETF SD-JWT, RFC 9901).

A personal field is not signed directly. In the signed body, an object that had personal
keys carries ``"_sd": [digest, ...]`` (sorted) instead of them; each value travels beside
the body as a *disclosure*, base64url of the canonical JSON ``[salt, key, value]``, and its
digest is base64url(SHA-256(the disclosure's ASCII)). The author's signature covers the
body only, so a disclosure can be withheld from a reader or erased later and the signature
still verifies; a changed disclosure no longer matches any digest.

This module is the format: conceal, check, reveal. Where disclosures are kept is
``imi_cli.log.redaction``; which fields are personal is ``imi_cli.protocol.personal``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
from collections.abc import Iterable
from typing import Any

from imi_cli.i18n import N_
from imi_cli.log.event import canonical

SD = "_sd"
# What ``reveal`` leaves in an object in place of values it could not show: how many.
# ``_blocked``: held, but past its blocking date (Art. 14(1)): only a logged read shows it.
WITHHELD, ERASED, BLOCKED = "_withheld", "_erased", "_blocked"
MARKERS = (WITHHELD, ERASED, BLOCKED)
SALT_BYTES = 16  # 128 bits, as SD-JWT recommends
MAX_DISCLOSURE = 8 * 1024 * 1024  # one attachment's content fits; the hub takes 8 MB a push anyway
MAX_DISCLOSURES = 1000
_DIGEST_CHARS = 43  # base64url of 32 bytes, unpadded

# A selection: where personal keys live in an event. ``path`` walks from the event's root,
# "*" standing for every item of a list; ``keys`` are the personal keys of the object found
# there, or None for all of its keys.
Selection = list[tuple[tuple[str, ...], "frozenset[str] | None"]]


class DisclosureRefused(Exception):
    """A disclosure that does not fit its event: a typed reason and a sentence, given as an
    English template (marked with ``N_``) and its ``params``, as a ``Refusal`` is."""

    def __init__(self, reason: str, template: str, **params: Any) -> None:
        message = template.format(**params) if params else template
        super().__init__(message)
        self.reason, self.message, self.msgid, self.params = reason, message, template, params


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def digest_of(disclosure: str) -> str:
    return _b64(hashlib.sha256(disclosure.encode("ascii")).digest())


def make_disclosure(key: str, value: Any, salt: str | None = None) -> str:
    salt = salt or _b64(secrets.token_bytes(SALT_BYTES))
    return _b64(canonical([salt, key, value]).encode("utf-8"))


def parse_disclosure(disclosure: Any) -> tuple[str, str, Any]:
    """(salt, key, value) of a disclosure, or DisclosureRefused saying what is wrong with it."""
    if not isinstance(disclosure, str):
        raise DisclosureRefused("bad_disclosure", N_("a disclosure is a base64url string"))
    if len(disclosure) > MAX_DISCLOSURE:
        raise DisclosureRefused("bad_disclosure", N_("a disclosure is larger than {count} characters"),
                                count=MAX_DISCLOSURE)
    try:
        if not disclosure.isascii() or "=" in disclosure:
            raise ValueError
        raw = base64.urlsafe_b64decode(disclosure + "=" * (-len(disclosure) % 4))
        if _b64(raw) != disclosure:  # one spelling per disclosure: its digest names it
            raise ValueError
        item = json.loads(raw.decode("utf-8"))
    except (ValueError, binascii.Error, UnicodeError, RecursionError):
        raise DisclosureRefused("bad_disclosure", N_("a disclosure is not base64url of JSON")) from None
    if not (isinstance(item, list) and len(item) == 3 and isinstance(item[0], str) and isinstance(item[1], str)):
        raise DisclosureRefused("bad_disclosure", N_("a disclosure is a JSON array [salt, key, value]"))
    salt, key, value = item
    if len(salt) < 16 or key == SD or key in MARKERS or not key:
        raise DisclosureRefused("bad_disclosure", N_("a disclosure's salt is too short or its key is reserved"))
    if _has_sd(value):
        raise DisclosureRefused("bad_disclosure", N_("a disclosed value may not hold further digests"))
    return salt, key, value


def _has_sd(value: Any) -> bool:
    if isinstance(value, dict):
        return SD in value or any(_has_sd(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_sd(v) for v in value)
    return False


# -- concealing ------------------------------------------------------------------
def conceal(event: dict[str, Any], selection: Selection,
            reuse: dict[tuple[str, str], list[str]] | None = None) -> tuple[dict[str, Any], list[str]]:
    """The event with the selected keys replaced by digests, and their disclosures. The event
    given is not changed. ``reuse`` maps (key, canonical value) to disclosures already made for
    the same entity: a step that carries the same content on (sending, forwarding) reuses them,
    so its digests are those of the draft."""
    pool = {k: list(v) for k, v in (reuse or {}).items()}
    disclosures: list[str] = []

    def hide(obj: dict[str, Any], keys: frozenset[str] | None) -> dict[str, Any]:
        chosen = [k for k in obj if not k.startswith("_") and (keys is None or k in keys)]
        if not chosen:
            return obj
        out = {k: v for k, v in obj.items() if k not in chosen}
        digests = list(out.get(SD, []))
        for key in chosen:
            kept = pool.get((key, canonical(obj[key])))
            disclosure = kept.pop(0) if kept else make_disclosure(key, obj[key])
            disclosures.append(disclosure)
            digests.append(digest_of(disclosure))
        out[SD] = sorted(digests)
        return out

    body = event
    for path, keys in selection:
        body = _rewrite(body, path, lambda obj, keys=keys: hide(obj, keys))
    return body, disclosures


def _rewrite(node: Any, path: tuple[str, ...], fn: Any) -> Any:
    """A copy of ``node`` with ``fn`` applied to the objects at ``path`` (copying only along it)."""
    if not path:
        return fn(node) if isinstance(node, dict) else node
    head, rest = path[0], path[1:]
    if head == "*":
        return [_rewrite(item, rest, fn) for item in node] if isinstance(node, list) else node
    if not isinstance(node, dict) or head not in node:
        return node
    return {**node, head: _rewrite(node[head], rest, fn)}


def objects_at(node: Any, path: tuple[str, ...]) -> Iterable[dict[str, Any]]:
    """The objects at ``path`` in ``node`` ("*" = every item of a list)."""
    if not path:
        if isinstance(node, dict):
            yield node
        return
    head, rest = path[0], path[1:]
    if head == "*":
        for item in node if isinstance(node, list) else ():
            yield from objects_at(item, rest)
    elif isinstance(node, dict) and head in node:
        yield from objects_at(node[head], rest)


# -- checking and revealing ----------------------------------------------------------
def digests_in(body: Any) -> list[tuple[dict[str, Any], str]]:
    """Every (object, digest) of the body's ``_sd`` arrays; DisclosureRefused if one is malformed
    or a reveal marker is found in a signed body."""
    found: list[tuple[dict[str, Any], str]] = []
    stack = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if any(m in node for m in MARKERS):
                raise DisclosureRefused("invalid", N_("a signed body may not hold _withheld or _erased"))
            if SD in node:
                sd = node[SD]
                if not (isinstance(sd, list) and sd and all(isinstance(d, str) and len(d) == _DIGEST_CHARS
                                                            for d in sd) and sd == sorted(set(sd))):
                    raise DisclosureRefused("invalid", N_("an _sd is a sorted list of distinct SHA-256 digests"))
                found += [(node, d) for d in sd]
            stack += [v for k, v in node.items() if k != SD]
        elif isinstance(node, list):
            stack += node
    return found


def check(body: dict[str, Any], disclosures: Any) -> dict[str, tuple[str, Any]]:
    """Do these disclosures belong to this body? Each must match a digest of the body, once,
    without taking a key its object already has. Returns digest -> (key, value)."""
    if not isinstance(disclosures, list) or len(disclosures) > MAX_DISCLOSURES:
        raise DisclosureRefused("bad_disclosure", N_("disclosures are a list of at most {count}"),
                                count=MAX_DISCLOSURES)
    owners = {}
    for obj, digest in digests_in(body):
        if digest in owners:
            raise DisclosureRefused("invalid", N_("the same digest appears twice in the body"))
        owners[digest] = obj
    opened: dict[str, tuple[str, Any]] = {}
    keys_taken: dict[int, set[str]] = {}
    for disclosure in disclosures:
        _salt, key, value = parse_disclosure(disclosure)
        digest = digest_of(disclosure)
        owner = owners.get(digest)
        if owner is None:
            raise DisclosureRefused("bad_disclosure", N_("a disclosure matches no digest of the event"))
        obj = owner
        if digest in opened:
            raise DisclosureRefused("bad_disclosure", N_("a disclosure is given twice"))
        taken = keys_taken.setdefault(id(obj), set())
        if key in obj or key in taken:
            raise DisclosureRefused("bad_disclosure", N_("a disclosure's key {key!r} is already in its object"),
                                    key=key[:40])
        taken.add(key)
        opened[digest] = (key, value)
    return opened


def reveal(body: dict[str, Any], opened: dict[str, tuple[str, Any]],
           erased: Iterable[str] = (), blocked: Iterable[str] = ()) -> dict[str, Any]:
    """The body as readers use it: disclosed values back in their objects; for the digests
    without a disclosure, a count in ``_erased`` (known to be erased), ``_blocked`` (held but
    blocked) or ``_withheld``."""
    gone, sealed = set(erased), set(blocked)

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(v) for v in node]
        if not isinstance(node, dict):
            return node
        out = {k: walk(v) for k, v in node.items() if k != SD}
        for digest in node.get(SD, ()):
            if digest in opened:
                key, value = opened[digest]
                out[key] = value
            else:
                marker = ERASED if digest in gone else BLOCKED if digest in sealed else WITHHELD
                out[marker] = out.get(marker, 0) + 1
        return out

    return walk(body)


def split(event: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    """(the signed body with its signature, the disclosures beside it) of an event as it travels."""
    if isinstance(event, dict) and "disclosures" in event:
        return {k: v for k, v in event.items() if k != "disclosures"}, event["disclosures"]
    return event, []


def wire_text(body_text: str, disclosures: list[str]) -> str:
    """An event as it travels, from the stored canonical body: the disclosures spliced in."""
    if not disclosures:
        return body_text
    return body_text[:-1] + ',"disclosures":' + json.dumps(disclosures) + "}"
