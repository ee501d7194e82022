"""The disclosure format on its own: conceal, sign, verify with fields withheld, refuse what
does not match (SD-JWT's technique; no store, no hub)."""

from __future__ import annotations

import base64
import json

import pytest

from imi_cli.log import disclosures as sd
from imi_cli.log.crypto import Signer, new_private_key, public_key_of, verify_event
from imi_cli.log.event import make_event

PERSON = (("payload", "request", "person"), None)
FILES = (("payload", "request", "attachments", "*"), frozenset({"content_b64"}))


def _event() -> dict:
    content = {"subject": "Check", "person": {"applicant_name": "Nagy Béla", "profession": "architect"},
               "attachments": [{"name": "diploma.pdf", "content_b64": base64.b64encode(b"%PDF-1.7").decode()}]}
    return make_event("request.drafted", actor={"user": "ie.handler", "authority": "IE-RIAI"},
                      payload={"request": content}, subject={"entity": "request/r1", "version": 0})


def _signed(selection=(PERSON, FILES), reuse=None):
    key = new_private_key()
    plain = _event()
    body, disclosed = sd.conceal(plain, list(selection), reuse)
    return plain, Signer("ie.handler", key).sign_event(body), disclosed, public_key_of(key)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_the_digest_is_sd_jwts():
    # the example disclosure of the SD-JWT specification (RFC 9901, section 4.2.1) and its digest
    assert sd.digest_of("WyI2cU1RdlJMNWhhaiIsICJmYW1pbHlfbmFtZSIsICJNw7ZiaXVzIl0") == \
        "uutlBuYeMDyjLLTpf6Jxi7yNkEF35jdyWMn9U7b_RYY"


def test_personal_values_leave_the_signed_body_and_come_back_revealed():
    plain, body, disclosed, public = _signed()
    text = json.dumps(body, ensure_ascii=False)
    assert "Nagy Béla" not in text and "architect" not in text and "content_b64" not in text
    person = body["payload"]["request"]["person"]
    assert set(person) == {"_sd"} and person["_sd"] == sorted(person["_sd"]) and len(person["_sd"]) == 2
    assert body["payload"]["request"]["attachments"][0]["name"] == "diploma.pdf"  # not personal: in plain
    assert len(disclosed) == 3
    salt, key, value = sd.parse_disclosure(disclosed[0])
    assert len(base64.urlsafe_b64decode(salt + "==")) == 16 and key == "applicant_name" and value == "Nagy Béla"
    revealed = sd.reveal(body, sd.check(body, disclosed))
    assert revealed["payload"] == plain["payload"]
    assert verify_event(public, {**body, "disclosures": disclosed})  # the disclosures are outside the signature


def test_an_event_with_a_withheld_field_verifies_and_says_what_is_missing():
    _, body, disclosed, public = _signed()
    kept = [d for d in disclosed if sd.parse_disclosure(d)[1] != "applicant_name"]
    event = {**body, "disclosures": kept}
    assert verify_event(public, event)
    revealed = sd.reveal(body, sd.check(body, kept))
    assert revealed["payload"]["request"]["person"] == {"profession": "architect", "_withheld": 1}
    erased = sd.digest_of(disclosed[0])
    shown = sd.reveal(body, sd.check(body, kept), erased=[erased])
    assert shown["payload"]["request"]["person"] == {"profession": "architect", "_erased": 1}


def test_a_changed_disclosure_does_not_verify():
    _, body, disclosed, public = _signed()
    salt, key, _ = sd.parse_disclosure(disclosed[0])
    forged = sd.make_disclosure(key, "Kovács Anna", salt=salt)
    with pytest.raises(sd.DisclosureRefused) as refused:
        sd.check(body, [forged, *disclosed[1:]])
    assert refused.value.reason == "bad_disclosure" and "matches no digest" in refused.value.message
    # and changing a digest in the body breaks the signature instead
    person = body["payload"]["request"]["person"]
    tampered = json.loads(json.dumps(body))
    tampered["payload"]["request"]["person"]["_sd"] = sorted([sd.digest_of(forged), *person["_sd"][1:]])
    assert not verify_event(public, tampered)


def test_a_step_carrying_the_same_content_reuses_the_disclosures():
    _, body, disclosed, _ = _signed()
    pool: dict = {}
    for d in disclosed:
        _salt, key, value = sd.parse_disclosure(d)
        pool.setdefault((key, sd.canonical(value)), []).append(d)
    _, again, disclosed_again, _ = _signed(reuse=pool)
    assert again["payload"]["request"]["person"] == body["payload"]["request"]["person"]
    assert sorted(disclosed_again) == sorted(disclosed)


HOSTILE = {
    "not a string": (42, "bad_disclosure"),
    "bad base64": ("@@not*base64@@", "bad_disclosure"),
    "padded": (_b64(b'["0123456789abcdefghij","k","v"]') + "=", "bad_disclosure"),
    "not JSON": (_b64(b"\xff\xfe not json"), "bad_disclosure"),
    "not a 3-array": (_b64(b'["0123456789abcdefghij","k"]'), "bad_disclosure"),
    "an object": (_b64(b'{"salt":"x","key":"k","value":"v"}'), "bad_disclosure"),
    "key not a string": (_b64(b'["0123456789abcdefghij",7,"v"]'), "bad_disclosure"),
    "short salt": (_b64(b'["x","k","v"]'), "bad_disclosure"),
    "reserved key": (_b64(b'["0123456789abcdefghij","_sd","v"]'), "bad_disclosure"),
    "nested digests": (_b64(b'["0123456789abcdefghij","k",{"_sd":["x"]}]'), "bad_disclosure"),
    "huge": ("A" * (sd.MAX_DISCLOSURE + 4), "bad_disclosure"),
    "deep": (_b64(b"[" * 100000 + b"]" * 100000), "bad_disclosure"),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_disclosure_is_refused_with_a_typed_reason(name):
    _, body, disclosed, _ = _signed()
    bad, reason = HOSTILE[name]
    with pytest.raises(sd.DisclosureRefused) as refused:
        sd.check(body, [*disclosed, bad])
    assert refused.value.reason == reason


def test_stray_duplicate_and_colliding_disclosures_are_refused():
    _, body, disclosed, _ = _signed()
    stray = sd.make_disclosure("applicant_name", "Nagy Béla")
    cases = {"stray": [*disclosed, stray], "duplicate": [*disclosed, disclosed[0]],
             "not a list": "abc", "null": None, "too many": ["x"] * (sd.MAX_DISCLOSURES + 1)}
    for name, given in cases.items():
        with pytest.raises(sd.DisclosureRefused) as refused:
            sd.check(body, given)
        assert refused.value.reason == "bad_disclosure", name
    # a disclosure whose key is already a plain key of its object
    plain = make_event("request.drafted", actor={"user": "u", "authority": "A"},
                       payload={"request": {"person": {"profession": "architect"}}}, subject={"entity": "request/r"})
    colliding = sd.make_disclosure("profession", "doctor")
    plain["payload"]["request"]["person"]["_sd"] = [sd.digest_of(colliding)]
    with pytest.raises(sd.DisclosureRefused, match="already in its object"):
        sd.check(plain, [colliding])


def test_a_malformed_digest_list_or_a_reveal_marker_in_a_body_is_refused():
    for person in ({"_sd": "abc"}, {"_sd": ["short"]}, {"_sd": ["B" * 43, "A" * 43]}, {"_withheld": 1}):
        event = make_event("request.drafted", actor={"user": "u", "authority": "A"},
                           payload={"request": {"person": person}}, subject={"entity": "request/r"})
        with pytest.raises(sd.DisclosureRefused) as refused:
            sd.check(event, [])
        assert refused.value.reason == "invalid"
