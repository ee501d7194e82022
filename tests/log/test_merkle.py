"""Merkle trees as RFC 9162 (and RFC 6962 before it) define them: the reference roots and
inclusion paths (the leaves and hashes Certificate Transparency's implementations test with),
and every path of every tree up to 40 leaves checked against nothing but its own root. (A path
may prove the same root under a larger size: the size is bound by the signed tree head,
tests/hub/test_push_batches.py.)"""

from __future__ import annotations

import random

import pytest

from imi_cli.log import merkle
from imi_cli.log.crypto import b64, unb64

LEAVES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                     "606162636465666768696a6b6c6d6e6f")]
ROOTS = ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
         "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
         "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
         "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
         "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
         "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
         "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
         "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"]
PATHS = {(0, 8): ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                  "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                  "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"],
         (5, 8): ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                  "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]}


def test_the_reference_roots() -> None:
    hashes = [merkle.leaf_hash(leaf) for leaf in LEAVES]
    for size in range(1, len(LEAVES) + 1):
        assert merkle.tree(hashes[:size])[0].hex() == ROOTS[size - 1], size
        assert merkle.root(hashes[:size]).hex() == ROOTS[size - 1], size


@pytest.mark.parametrize(("index", "size"), sorted(PATHS))
def test_the_reference_paths(index: int, size: int) -> None:
    hashes = [merkle.leaf_hash(leaf) for leaf in LEAVES[:size]]
    _root, paths = merkle.tree(hashes)
    assert [unb64(p).hex() for p in paths[index]] == PATHS[index, size]
    path = [bytes.fromhex(p) for p in PATHS[index, size]]
    assert merkle.root_from(hashes[index], index, size, path).hex() == ROOTS[size - 1]


def test_every_path_proves_its_leaf_and_no_other_place() -> None:
    rng = random.Random(9162)
    for size in range(1, 41):
        hashes = [merkle.leaf_hash(rng.randbytes(rng.randrange(0, 40))) for _ in range(size)]
        root, paths = merkle.tree(hashes)
        assert all(len(path) <= size.bit_length() for path in paths)
        for index, path in enumerate(paths):
            raw = [unb64(p) for p in path]
            assert all(b64(r) == p for r, p in zip(raw, path, strict=True))
            assert merkle.root_from(hashes[index], index, size, raw) == root
            for wrong in {index - 1, index + 1, index ^ 2, size} - {index}:
                assert merkle.root_from(hashes[index], wrong, size, raw) != root, (size, index, wrong)
            if size > 1:
                assert merkle.root_from(hashes[(index + 1) % size], index, size, raw) != root
                assert merkle.root_from(hashes[index], index, size, raw[:-1]) != root
                assert merkle.root_from(hashes[index], index, size, [*raw, raw[0]]) != root
            else:
                assert raw == [] and root == hashes[0]


def test_the_root_alone_is_the_tree_s_root() -> None:
    rng = random.Random(6962)
    for size in range(1, 130):
        hashes = [merkle.leaf_hash(rng.randbytes(8)) for _ in range(size)]
        assert merkle.root(hashes) == merkle.tree(hashes)[0], size


def test_a_tree_needs_a_leaf() -> None:
    for made in (merkle.tree, merkle.root):
        with pytest.raises(ValueError):
            made([])
