"""The operator's receipts: the hub's signed word that it sequenced an event, and as what.

A receipt is ``{"at", "event", "seq", "sig", "tree": {"index", "path", "size"}}``: the event's
id, the number the hub gave it, the hub's time of receipt, and a proof. The hub signs once a
batch (one signature, not one an event: the hub's one writing thread is what bounds a push):
its receipts' *leaves*, the canonical JSON of ``{"at", "event", "seq"}`` (``leaf_text``), in
sequence order, are the leaves of a Merkle tree (``log/merkle.py``, RFC 9162's), and the
operator signs the tree's head, the canonical JSON of ``{"at", "root", "size"}`` (``head_text``).
A receipt's leaf index and inclusion path prove its event alone: the root its path gives is
the one the signature covers.

The hub gives a batch's receipts without their paths (``sign``: it computes the root only):
the answer to a push holds the whole tree, and the node computes the paths (``fill_paths``)
and keeps complete receipts. A receipt given again for the same event, later (``alone``), is
whole by itself: a tree of one, signed then (Ed25519 is deterministic: the same every time).
A receipt without "tree" (hubs made those before) is signed over its leaf text itself. All
are checked by ``proves``: a node records an event as accepted only with a receipt that
verifies against the operator's key it pinned at enrolment (sync/session.py).
"""

from __future__ import annotations

from typing import Any

from imi_cli.log import merkle
from imi_cli.log.canonical import ENCODE as _TEXT  # (a JSON string, as canonical JSON writes it)
from imi_cli.log.canonical import encodable
from imi_cli.log.crypto import Signer, b64, sha256_hex, unb64, verify_bytes

PATH_AT_MOST = 64  # hashes in a path: a tree of 2**64 leaves would need no more


def body_digest(text: str) -> str:
    """What the hub keeps of an event once retention removed it, beside its receipt: the hash
    of its canonical JSON, so that only the very same event gets the receipt again."""
    return sha256_hex(text.encode())


def leaf_text(receipt: dict[str, Any]) -> str:
    """``canonical`` of a receipt's ``{"at", "event", "seq"}`` (in key order), made directly
    (tests/hub/test_push_batches.py checks it against ``canonical``)."""
    return f'{{"at":{_TEXT(receipt["at"])},"event":{_TEXT(receipt["event"])},"seq":{int(receipt["seq"])}}}'


def head_text(at: str, root: str, size: int) -> str:
    """``canonical`` of the tree head the operator signs (``root``: base64url)."""
    return f'{{"at":{_TEXT(at)},"root":"{root}","size":{int(size)}}}'


def sign(signer: Signer, receipts: list[tuple[dict[str, Any], str]]) -> list[str]:
    """Sign a batch's receipts, given with their ``leaf_text`` in sequence order and the same
    time of receipt: each gets the head's signature ("sig") and its place in the tree ("tree":
    index and size; the path as well when it is a tree of one, whose path is empty). Returns
    their canonical JSON texts (as stored), made directly."""
    if not receipts:
        return []
    at, size = receipts[0][0]["at"], len(receipts)
    if any(receipt["at"] != at for receipt, _leaf in receipts):
        raise ValueError("a batch's receipts share one time of receipt")
    root = merkle.root([merkle.leaf_hash(leaf.encode()) for _receipt, leaf in receipts])
    sig = signer.sign_bytes(head_text(at, b64(root), size).encode())
    path = '"path":[],' if size == 1 else ""  # (in key order: index, path, size)
    texts = []
    for index, (receipt, leaf) in enumerate(receipts):
        receipt["sig"] = sig
        receipt["tree"] = {"index": 0, "path": [], "size": 1} if size == 1 else {"index": index, "size": size}
        texts.append(f'{leaf[:-1]},"sig":"{sig}","tree":{{"index":{index},{path}"size":{size}}}}}')
    return texts


def alone(signer: Signer, receipt: dict[str, Any]) -> dict[str, Any]:
    """A stored receipt as given again for its event: as it is if it proves its event alone,
    else (one of a batch's, without its path) as a tree of one, signed now."""
    place = receipt.get("tree")
    if place is None or "path" in place:
        return receipt
    made = dict(receipt)
    sign(signer, [(made, leaf_text(made))])  # (its "sig" and "tree" made anew)
    return made


def fill_paths(receipts: list[Any]) -> dict[int, bytes]:
    """Give the receipts that came without their paths (an answer to a push holds its batch's
    whole tree) the inclusion paths their leaves make, in place; returns the root each one's
    path leads to (by ``id`` of the receipt). A receipt whose tree is not whole among
    ``receipts`` (each index once, one event at each), or that is malformed, is left without:
    it proves nothing."""
    groups: dict[tuple[str, str, int], dict[int, set[str]]] = {}
    pathless = []
    for receipt in receipts:
        place = receipt.get("tree") if isinstance(receipt, dict) else None
        if not isinstance(place, dict) or "path" in place or type(place.get("index")) is not int \
                or type(place.get("size")) is not int or not isinstance(receipt.get("at"), str) \
                or not isinstance(receipt.get("sig"), str) or not isinstance(receipt.get("event"), str) \
                or type(receipt.get("seq")) is not int \
                or not (encodable(receipt["at"]) and encodable(receipt["event"])):
            continue
        pathless.append(receipt)
        group = groups.setdefault((receipt["at"], receipt["sig"], place["size"]), {})
        group.setdefault(place["index"], set()).add(leaf_text(receipt))
    trees: dict[tuple[str, str, int], tuple[bytes, list[list[str]]]] = {}
    for (at, sig, size), leaves in groups.items():
        if len(leaves) == size and min(leaves) == 0 and max(leaves) == size - 1 \
                and all(len(texts) == 1 for texts in leaves.values()):
            trees[at, sig, size] = merkle.tree([merkle.leaf_hash(next(iter(leaves[i])).encode())
                                                for i in range(size)])
    roots = {}
    for receipt in pathless:
        made = trees.get((receipt["at"], receipt["sig"], receipt["tree"]["size"]))
        if made is not None:
            receipt["tree"] = {**receipt["tree"], "path": made[1][receipt["tree"]["index"]]}
            roots[id(receipt)] = made[0]
    return roots


def first_unproven(operator_key: str, accepted: list[tuple[str, Any, Any]]) -> int | None:
    """Of (event id, number, receipt) for each event accepted in an answer to a push, the
    index of the first whose receipt does not prove it (``proves``); None if all do. The
    receipts of a batch, given without paths, get them here (``fill_paths``): their leaves made
    the tree, so each is proven once the tree's head is (one signature a batch)."""
    roots = fill_paths([receipt for _event, _seq, receipt in accepted])
    heads: dict[tuple[str, str], bool] = {}
    for index, (event_id, seq, receipt) in enumerate(accepted):
        root = roots.get(id(receipt))
        if root is None:
            proven = proves(operator_key, receipt, event_id, seq, heads=heads)
        else:  # (fill_paths checked its fields' types)
            proven = receipt["event"] == event_id and type(seq) is int and receipt["seq"] == seq \
                and _head_holds(operator_key, head_text(receipt["at"], b64(root), receipt["tree"]["size"]),
                                receipt["sig"], heads)
        if not proven:
            return index
    return None


def proves(operator_key: str, receipt: Any, event_id: str, seq: Any, *,
           heads: dict[tuple[str, str], bool] | None = None) -> bool:
    """Does ``receipt`` prove, under ``operator_key``, that the hub sequenced ``event_id`` as
    ``seq``? Anything it does not hold as it should is a no. ``heads``: the tree heads checked
    already (a batch's receipts share one: it is verified once)."""
    if not isinstance(receipt, dict) or receipt.get("event") != event_id or type(seq) is not int \
            or type(receipt.get("seq")) is not int or receipt["seq"] != seq \
            or not isinstance(receipt.get("at"), str) or not isinstance(receipt.get("sig"), str):
        return False
    if not (encodable(receipt["at"]) and encodable(event_id)):  # (a lone surrogate: no text was signed)
        return False
    leaf = leaf_text(receipt)
    if "tree" not in receipt:  # made one at a time
        return verify_bytes(operator_key, receipt["sig"], leaf.encode())
    place = receipt["tree"]
    if not isinstance(place, dict) or type(place.get("index")) is not int or type(place.get("size")) is not int \
            or not isinstance(place.get("path"), list) or len(place["path"]) > PATH_AT_MOST \
            or not all(isinstance(p, str) for p in place["path"]):
        return False
    path = [_hash_of(p) for p in place["path"]]
    if None in path:
        return False
    root = merkle.root_from(merkle.leaf_hash(leaf.encode()), place["index"], place["size"], path)  # type: ignore[arg-type]
    if root is None:
        return False
    return _head_holds(operator_key, head_text(receipt["at"], b64(root), place["size"]), receipt["sig"], heads)


def _head_holds(operator_key: str, head: str, sig: str, heads: dict[tuple[str, str], bool] | None) -> bool:
    """Is ``sig`` the operator's signature of the tree head ``head`` (``heads``: those checked)?"""
    if heads is not None and (head, sig) in heads:
        return heads[head, sig]
    verified = verify_bytes(operator_key, sig, head.encode())
    if heads is not None:
        heads[head, sig] = verified
    return verified


def _hash_of(text: str) -> bytes | None:
    """The 32 bytes of a hash in a path, written as ``b64`` writes them; None otherwise."""
    try:
        raw = unb64(text)
    except ValueError:  # (binascii.Error is one; so is text that is not ASCII)
        return None
    return raw if len(raw) == 32 and b64(raw) == text else None


def verify_kept(conn: Any, operator_key: str) -> tuple[int, list[dict[str, Any]]]:
    """The receipts this node keeps of its own events (``outbox.receipt``), each checked again:
    does it prove its event's number (``hub_seq``) under ``operator_key``, the hub's key pinned
    at enrolment? (How many, a problem for each that does not.) One signature check for each
    tree head."""
    import json

    heads: dict[tuple[str, str], bool] = {}
    count, problems = 0, []
    for event_id, text, seq in conn.execute(
            "SELECT o.event_id, o.receipt, e.hub_seq FROM outbox o JOIN events e ON e.id = o.event_id "
            "WHERE o.receipt IS NOT NULL ORDER BY e.hub_seq"):
        count += 1
        try:
            receipt = json.loads(text)
        except (ValueError, TypeError, RecursionError):  # (not JSON, not text, nested past the stack)
            receipt = None
        if not (operator_key and proves(operator_key, receipt, event_id, seq, heads=heads)):
            problems.append({"event": event_id, "problem": "bad_receipt"})
    return count, problems


def kept(receipt: dict[str, Any]) -> dict[str, Any]:
    """What a node keeps of a receipt that ``proves`` its event: the fields that prove, no other."""
    place = receipt.get("tree")
    made = {key: receipt[key] for key in ("at", "event", "seq", "sig")}
    if isinstance(place, dict):
        made["tree"] = {key: place[key] for key in ("index", "path", "size")}
    return made
