"""A node's catch-up after it was made faster: a page applies as it did (rows, versions,
cursor), a bad signature still fails the whole page, a bad event is still skipped and
recorded, a key that changes within a page is still the one that counts; signatures are the
same bytes whichever library makes them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from imi_cli.errors import InvalidInput
from imi_cli.log import quarantine
from imi_cli.log.crypto import (
    Signer,
    b64,
    canonical_texts,
    new_private_key,
    public_key_of,
    signed_part,
    unb64,
    verify_bytes,
    verify_event,
)
from imi_cli.log.event import canonical, make_event, uuid7
from imi_cli.sync import pages
from imi_cli.sync.pages import apply_page


def _messages(store: Any, to: str, n: int) -> list[dict[str, Any]]:
    """n signed message.sent events of ``store``'s user, as the hub serves them (parsed JSON)."""
    me = {"user": store.meta("user_id"), "authority": store.meta("authority_id")}
    signer = Signer(me["user"], store.meta("private_key"))
    return [json.loads(json.dumps(signer.sign_event(make_event(
        "message.sent", actor=me, audience=[me["authority"], to],
        payload={"from": me["authority"], "to": to, "subject": f"catch-up {i}", "text": "ü" * 40, "lang": "en"},
        subject={"entity": f"message/{uuid7()}", "version": 0})))) for i in range(n)]


def _page(store: Any, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    start = int(store.meta("cursor", "0")) + 100
    return [{"seq": start + i, "event": event} for i, event in enumerate(events)]


def _state(store: Any) -> tuple[int, int, str | None]:
    return (store.query("SELECT count(*) FROM messages")[0][0], store.query("SELECT count(*) FROM events")[0][0],
            store.meta("cursor"))


@pytest.mark.parametrize("size", [5, 120])  # checked one at a time; checked ahead in another thread
def test_a_page_applies_every_event_and_moves_the_cursor(pair, size):
    hu, ie = pair.coords["HU"], pair.coords["IE"]
    events = _messages(hu, "IE-NCO", size)
    page = _page(ie, events)
    messages, _, _ = _state(ie)
    assert apply_page(ie, page) == []
    assert ie.meta("cursor") == str(page[-1]["seq"])
    assert _state(ie)[0] == messages + size
    for item in page:
        event = item["event"]
        row = ie.query("SELECT type, at, body, status, hub_seq FROM events WHERE id = ?", (event["id"],))
        assert row == [(event["type"], event["at"], canonical(event), "remote", item["seq"])]
        version = ie.query("SELECT version FROM entity_versions WHERE entity = ?", (event["subject"]["entity"],))
        assert version == [(item["seq"],)]
    # the same page again (a re-seed): held byte for byte, applied once, the cursor where it was
    assert apply_page(ie, page) == [] and _state(ie)[0] == messages + size


@pytest.mark.parametrize("size", [5, 120])
def test_a_bad_signature_fails_the_whole_page(pair, size):
    hu, ie = pair.coords["HU"], pair.coords["IE"]
    events = _messages(hu, "IE-NCO", size)
    events[size // 2]["payload"]["text"] = "changed after signing"
    before = _state(ie)
    with pytest.raises(InvalidInput) as failed:
        apply_page(ie, _page(ie, events))
    assert events[size // 2]["id"] in str(failed.value) and "valid signature" in str(failed.value)
    assert _state(ie) == before  # nothing of the page, not even the events before it; the cursor stays


def test_the_first_bad_event_of_a_page_is_the_one_named(pair):
    """Checked ahead, the page still fails at the first event that fails in order."""
    hu, ie = pair.coords["HU"], pair.coords["IE"]
    events = _messages(hu, "IE-NCO", 80)
    for index in (70, 20):
        events[index]["payload"]["text"] = "forged"
    with pytest.raises(InvalidInput) as failed:
        apply_page(ie, _page(ie, events))
    assert events[20]["id"] in str(failed.value)


def test_an_event_that_fails_a_check_is_skipped_and_recorded(pair):
    hu, ie = pair.coords["HU"], pair.coords["IE"]
    events = _messages(hu, "IE-NCO", 60)
    events[10] = Signer(hu.meta("user_id"), hu.meta("private_key")).sign_event(
        {**signed_part(events[10]), "payload": {**events[10]["payload"], "lang": 7}})  # signed, but not its schema
    events[30] = {"id": "not an event"}
    messages = _state(ie)[0]
    page = _page(ie, events)
    skipped = apply_page(ie, page)
    assert [(s["id"], s["seq"]) for s in skipped] == [(events[10]["id"], page[10]["seq"]),
                                                      (quarantine.event_id_of(events[30], page[30]["seq"]),
                                                       page[30]["seq"])]
    assert all(s["reason"].startswith("invalid") for s in skipped)
    assert _state(ie)[0] == messages + 58 and ie.meta("cursor") == str(page[-1]["seq"])
    recorded = {e["id"]: e for e in quarantine.entries(ie.conn)}
    assert recorded[events[10]["id"]]["seq"] == page[10]["seq"] and recorded[events[10]["id"]]["source"] == "pull"


def test_a_key_that_changed_is_judged_by_the_key_when_its_event_comes(pair, monkeypatch):
    """Signatures checked ahead with the key as the page started count only if that is still
    the author's key when the event is applied (a user.enrolled earlier in the page may have
    replaced it); otherwise the event is checked again with the key in force."""
    hu, ie = pair.coords["HU"], pair.coords["IE"]
    events = _messages(hu, "IE-NCO", 40)
    real = public_key_of(hu.meta("private_key"))
    old = public_key_of(new_private_key())
    with ie.transaction() as conn:
        page = pages._Page(conn, ie.meta("operator_key"), _page(ie, events))
        page._keys[hu.meta("user_id")] = old  # the page starts with the old key
        opened = [pages._Opened.of(conn, e) for e in events]
        page.verify_ahead(opened)
        assert len(page._ahead) == 40  # checked ahead, with the old key: they fail
        assert not page.verified(opened[0], old)
        assert page.verified(opened[0], real)  # the key in force when it comes: checked again
        page.done()


def test_signatures_are_the_same_bytes_as_cryptography_makes():
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    for n in range(20):
        key = new_private_key()
        theirs = Ed25519PrivateKey.from_private_bytes(unb64(key))
        data = canonical({"n": n, "text": "é" * n}).encode()
        ours = Signer("u", key).sign_bytes(data)
        assert unb64(ours) == theirs.sign(data)
        public = public_key_of(key)
        assert unb64(public) == theirs.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        Ed25519PublicKey.from_public_bytes(unb64(public)).verify(unb64(ours), data)  # raises if not
        assert verify_bytes(public, b64(theirs.sign(data)), data)
        assert not verify_bytes(public, ours, data + b" ")


def test_what_is_not_a_signature_or_a_key_does_not_verify():
    key = new_private_key()
    public, data = public_key_of(key), b"what was signed"
    sig = unb64(Signer("u", key).sign_bytes(data))
    assert verify_bytes(public, b64(sig), data)
    assert not verify_bytes(public, b64(sig[:60]), sig[60:] + data)  # a short signature is not read on
    assert not verify_bytes(public, b64(sig + b"x"), data)
    assert not verify_bytes(public[:-2], b64(sig), data)
    assert not verify_bytes("not base64 ☃", b64(sig), data)
    assert not verify_bytes(public, "not base64 ☃", data)
    assert not verify_event(public, {"signature": {"sig": 5}})


def test_the_canonical_texts_are_those_canonical_makes():
    key = new_private_key()
    event = json.loads(json.dumps(Signer("u", key).sign_event(make_event(
        "message.sent", actor={"user": "u", "authority": "A"}, payload={"text": "ő\u2028\"x\"", "n": [1.5, None]},
        subject={"entity": "message/1"}))))
    for variant in (event, {**event, "disclosures": ["a"]}, signed_part(event), {"zz": 1, "signature": {}}, {}):
        signed, whole = canonical_texts(variant)
        assert signed == canonical(signed_part(variant))
        assert whole == canonical({k: v for k, v in variant.items() if k != "disclosures"})
    assert verify_event(public_key_of(key), event, canonical_texts(event)[0].encode())


def test_small_whole_numbers_are_written_as_babel_writes_them_in_every_language():
    from babel.numbers import format_decimal

    from imi_cli.i18n import formats
    from imi_cli.reference.languages import LANGUAGES

    for code in LANGUAGES:
        locale = formats.locale(code)
        assert all(format_decimal(n, locale=locale) == str(n) for n in range(1000)), code
