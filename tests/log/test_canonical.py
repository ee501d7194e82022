"""Canonical JSON by orjson (log/canonical.py) is the very text the standard encoder makes, on
seeded random values of every kind, or the standard encoder makes it (and fails as it fails)."""

from __future__ import annotations

import enum
import random
from typing import Any

import pytest

from imi_cli.log import canonical as json_text
from imi_cli.log.crypto import canonical_texts, signed_part

SEED = 20261201


class Text(str):
    pass


class Number(int):
    pass


class Colour(enum.IntEnum):
    RED = 1


class Obj(dict):  # type: ignore[type-arg]
    pass


def _char(rng: random.Random) -> str:
    pick = rng.random()
    if pick < 0.25:
        return chr(rng.randrange(0, 0x80))  # controls, quotes, backslashes, DEL
    if pick < 0.5:
        return chr(rng.choice([0x7F, 0x80, 0x85, 0xA0, 0x2028, 0x2029, 0xFEFF, 0xFFFD, 0xFFFF, 0xE000]))
    if pick < 0.7:
        return chr(rng.randrange(0x10000, 0x110000))  # astral (sorts after U+FFFF by code point)
    if pick < 0.995:
        return chr(rng.choice([rng.randrange(0x80, 0xD800), rng.randrange(0xE000, 0x10000)]))
    return chr(rng.randrange(0xD800, 0xE000))  # a lone surrogate: orjson refuses it


def _text(rng: random.Random) -> str:
    return "".join(_char(rng) for _ in range(rng.randrange(0, 6)))


def _leaf(rng: random.Random, odd: bool) -> Any:
    kinds: list[Any] = [
        lambda: _text(rng), lambda: rng.randrange(-1000, 1000), lambda: rng.choice([2**63 - 1, -2**63, 2**64 - 1]),
        lambda: True, lambda: False, lambda: None,
    ]
    if odd:  # what the standard encoder writes its own way, or refuses
        kinds += [
            lambda: rng.choice([2**64, -2**63 - 1, 10**30]), lambda: rng.choice([0.0, -0.0, 1.5, 1e-05, 1e16, 1e300]),
            lambda: rng.uniform(-1e6, 1e6), lambda: float(rng.choice(["nan", "inf", "-inf"])),
            lambda: Text("sub"), lambda: Number(7), lambda: Colour.RED, lambda: (1, "two"),
        ]
    return rng.choice(kinds)()


def _value(rng: random.Random, depth: int, odd: bool) -> Any:
    if depth <= 0 or rng.random() < 0.35:
        return _leaf(rng, odd)
    if rng.random() < 0.5:
        return [_value(rng, depth - 1, odd) for _ in range(rng.randrange(0, 4))]
    made: dict[Any, Any] = Obj() if odd and rng.random() < 0.05 else {}
    for _ in range(rng.randrange(0, 5)):
        key: Any = _text(rng)
        if odd and rng.random() < 0.05:
            key = rng.choice([1, 2.5, None, True])  # keys the standard encoder turns into text
        made[key] = _value(rng, depth - 1, odd)
    return made


def _outcome(encode: Any, value: Any) -> tuple[str, Any]:
    try:
        return "text", encode(value)
    except Exception as exc:  # noqa: BLE001 -- the two ways must fail alike
        return "error", type(exc)


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """orjson in use, its calls counted (so that a test sees the fast way taken, not skipped);
    afterwards this process encodes as it did before (the standard way, unless it chose orjson)."""
    monkeypatch.setattr(json_text, "_dumps", json_text._dumps)
    monkeypatch.setattr(json_text, "_OPTIONS", json_text._OPTIONS)
    assert json_text.use_fast()
    calls = [0]
    dumps = json_text._dumps

    def counted(*args: Any, **kwargs: Any) -> bytes:
        calls[0] += 1
        return dumps(*args, **kwargs)  # type: ignore[misc]

    monkeypatch.setattr(json_text, "_dumps", counted)
    return calls


@pytest.mark.parametrize("odd", [False, True], ids=["plain", "any"])
def test_the_same_text_as_the_standard_encoder(fast: list[int], odd: bool) -> None:
    rng = random.Random(SEED + odd)
    plain = 0
    for _ in range(3000):
        value = _value(rng, 5, odd)
        plain += json_text.plain(value)
        assert _outcome(json_text.canonical, value) == _outcome(json_text.ENCODE, value), repr(value)[:300]
    assert plain >= 300 and fast[0] >= plain  # the fast way was taken for every plain value
    if not odd:
        assert plain == 3000


def test_what_orjson_writes_otherwise_goes_to_the_standard_encoder(fast: list[int]) -> None:
    """Floats (orjson writes 1e-05 as 0.00001, NaN as null), big integers, lone surrogates,
    nesting deeper than orjson goes: the standard encoder's text, or its error."""
    deep: Any = "bottom"
    for _ in range(300):
        deep = [deep]
    circular: list[Any] = []
    circular.append(circular)
    looped: dict[str, Any] = {}
    looped["self"] = [looped]
    for value in ({"x": 1e-05}, {"x": float("nan")}, [2**64], ["\ud800"], deep, {"a": Text("b")},
                  {Text("k"): 1, "j": 2}, {1: "a", "1": "b"}, {True: 1, None: 2}, circular, looped):
        assert _outcome(json_text.canonical, value) == _outcome(json_text.ENCODE, value)
    assert json_text.canonical({"x": 1e-05}) == '{"x":1e-05}'
    assert json_text.canonical({"x": float("nan")}) == '{"x":NaN}'


def test_canonical_texts_of_an_event_either_way(fast: list[int]) -> None:
    rng = random.Random(SEED)
    for n in range(500):
        event: dict[str, Any] = {"id": _text(rng), "type": "message.sent", "at": "2026-01-05T09:00:00.000Z",
                                 "actor": {"user": _text(rng)}, "audience": [_text(rng)], "subject": {"entity": "x"},
                                 "payload": _value(rng, 4, odd=n % 3 == 0)}
        if n % 2:
            event["signature"] = {"by": _text(rng), "sig": "AAAA"}
        if n % 5 == 0:
            event["disclosures"] = ["salt", "field", 1]
        without = {k: v for k, v in event.items() if k != "disclosures"}
        expected = (_outcome(json_text.ENCODE, signed_part(without)), _outcome(json_text.ENCODE, without))
        try:
            made = canonical_texts(event)
        except Exception as exc:  # noqa: BLE001
            assert expected[1] == ("error", type(exc))
        else:
            assert (("text", made[0]), ("text", made[1])) == expected
    assert fast[0] > 0
