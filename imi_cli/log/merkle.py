"""Merkle trees as Certificate Transparency defines them (RFC 9162 §2.1, the same as RFC 6962's):
what lets a hub sign one tree head for a whole batch of receipts while each receipt still
proves its own event on its own (``log/receipts.py``).

A leaf is hashed as SHA-256(0x00 ‖ data), an inner node as SHA-256(0x01 ‖ left ‖ right); a
tree of n > 1 leaves splits at k, the largest power of two below n (not at the midpoint). An
inclusion path lists the siblings from the leaf up. tests/log/test_merkle.py holds the RFC's
reference roots and paths.
"""

from __future__ import annotations

from hashlib import sha256

from imi_cli.log.crypto import b64


def leaf_hash(data: bytes) -> bytes:
    return sha256(b"\x00" + data).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right).digest()


def root(leaves: list[bytes]) -> bytes:
    """The root over ``leaves`` (leaf hashes, at least one), without the paths: level by level,
    pairing neighbours and carrying an odd last node up (the same tree as the split rule)."""
    if not leaves:
        raise ValueError("a tree of no leaves has no root")
    level = leaves
    while len(level) > 1:
        paired = [_node(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def tree(leaves: list[bytes]) -> tuple[bytes, list[list[str]]]:
    """The root over ``leaves`` (leaf hashes, at least one) and each leaf's inclusion path, its
    hashes as base64url text (each inner node hashed and encoded once)."""
    if not leaves:
        raise ValueError("a tree of no leaves has no paths")
    paths: list[list[str]] = [[] for _ in leaves]

    def build(lo: int, hi: int) -> bytes:
        if hi - lo == 1:
            return leaves[lo]
        k = 1 << ((hi - lo - 1).bit_length() - 1)  # the largest power of two below hi - lo
        left, right = build(lo, lo + k), build(lo + k, hi)
        left_text, right_text = b64(left), b64(right)  # (each node is one subtree's sibling: encoded once)
        for i in range(lo, lo + k):
            paths[i].append(right_text)
        for i in range(lo + k, hi):
            paths[i].append(left_text)
        return _node(left, right)

    return build(0, len(leaves)), paths


def root_from(leaf: bytes, index: int, size: int, path: list[bytes]) -> bytes | None:
    """The root that ``path`` proves ``leaf`` (a leaf hash) to be at ``index`` of a tree of
    ``size`` leaves under; None if it cannot (RFC 9162 §2.1.3.2, step for step)."""
    if not 0 <= index < size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = _node(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = _node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return r if sn == 0 else None
