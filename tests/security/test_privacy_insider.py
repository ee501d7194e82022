"""The data-protection event types (issue 14) against an insider: a user with a valid key
who builds the event by hand, signs it and pushes it straight to the hub, past its node's
own checks. Each test asserts the exact refusal and that the allowed neighbour passes (so a
rule that refuses everything fails too), then follows the accepted event to the stores it
must, and must not, reach. Personal fields are concealed as a node conceals them (the hub
refuses personal data in plain). docs/security.md lists the mutants these tests kill.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from imi_cli.exchanges.requests.service import Requests
from imi_cli.hub import housekeeping
from imi_cli.hub.disclosures import erase_entity
from imi_cli.log import clock, redaction
from imi_cli.log.crypto import Signer
from imi_cli.log.disclosures import ERASED
from imi_cli.log.event import make_event
from imi_cli.log.journal import entity_version
from imi_cli.privacy import access
from imi_cli.protocol.pipeline import audience_of
from imi_cli.protocol.view import RulesView
from imi_cli.sync.enrolment import client_for
from tests.hub.conftest import sync
from tests.security.test_mutants import accepted

PERSON = {"provider_name": "Nagy Kft."}
NEEDS_ROLE = "{} needs the data_protection role"


@pytest.fixture
def p(hub, net):
    """IE-RIAI asks HU-MEK about a provider; DE-GEW takes no part. HU-MEK has a handler and a
    data-protection officer; DE-GEW a data-protection officer; each country its coordinator."""
    coordinators = {c: net.coordinator(c) for c in ("HU", "IE", "DE")}
    for ident, country in (("HU-MEK", "HU"), ("IE-RIAI", "IE"), ("DE-GEW", "DE")):
        net.authority(coordinators[country], ident, country, areas="services")
    s = {"hu.nco": coordinators["HU"],
         "ie.handler": net.user(coordinators["IE"], "ie.handler", "IE-RIAI", "request_handler"),
         "hu.handler": net.user(coordinators["HU"], "hu.handler", "HU-MEK", "request_handler"),
         "hu.dpo": net.user(coordinators["HU"], "hu.dpo", "HU-MEK", "data_protection"),
         "de.dpo": net.user(coordinators["DE"], "de.dpo", "DE-GEW", "data_protection")}
    requests = Requests(s["ie.handler"])
    rid = requests.new(area="services", to="HU-MEK", questionnaire="services-verify-provider",
                       questions=["legally_established"], deadline="2099-01-31", subject="Provider check",
                       person=dict(PERSON))
    requests.send(rid)
    for name in ("ie.handler", "hu.handler", "hu.dpo", "de.dpo", "hu.nco"):
        sync(s[name])
    assert Requests(s["hu.dpo"]).get(rid)["record"]["person"] == PERSON
    return {**s, "hub": hub, "rid": rid, "entity": f"request/{rid}"}


def refused(result: dict[str, Any], reason: str, message: str) -> None:
    """tests/security/test_mutants.py::refused, readable when the hub accepted the event."""
    got = (result["status"], result.get("reason"), result.get("message"))
    assert got == ("rejected", reason, message), result


def _me(store: Any, authority: str | None = None) -> dict[str, str]:
    return {"user": store.meta("user_id"), "authority": authority or store.meta("authority_id")}


def push(store: Any, event: dict[str, Any]) -> dict[str, Any]:
    """Conceal, sign and push one event as ``store``'s node would, but straight to the hub."""
    event, disclosed = redaction.conceal_for(store.conn, event)
    signed = redaction.wire(Signer(store.meta("user_id"), store.meta("private_key")).sign_event(event), disclosed)
    with client_for(store) as client:
        return client.push([signed])[0]


def _as_hub_expects(hub: Any, event: dict[str, Any]) -> dict[str, Any]:
    """The version and audience the hub holds for the event's subject (an insider can learn them)."""
    with hub.lock:
        event["subject"]["version"] = entity_version(hub.store.conn, event["subject"]["entity"])
        event["audience"] = audience_of(RulesView(hub.store.conn, at_hub=True), event)
    return event


def rectified(p: dict[str, Any], name: str, fields: dict[str, str], entity: str | None = None) -> dict[str, Any]:
    """``personal_data.rectified`` as privacy/rectification.py::rectify makes it."""
    entity = entity or p["entity"]
    event = make_event("personal_data.rectified", actor=_me(p[name]),
                       payload={"entity": entity, "fields": fields, "reason": "the register was wrong"},
                       subject={"entity": entity})
    return push(p[name], _as_hub_expects(p["hub"], event))


def erasure_requested(p: dict[str, Any], name: str) -> dict[str, Any]:
    """``personal_data.erasure_requested`` as rectification.py::request_erasure makes it."""
    ident = str(uuid.uuid4())
    event = make_event("personal_data.erasure_requested", actor=_me(p[name]),
                       payload={"id": ident, "entity": p["entity"], "consent": "signed consent of 3 May"},
                       subject={"entity": f"erasure-request/{ident}", "version": 0}, audience=["hub"])
    return push(p[name], event)


def accessed(p: dict[str, Any], name: str, action: str, authority: str | None = None, **fields: Any) -> dict:
    """``privacy.accessed`` as privacy/access.py::record makes it."""
    event = access.event(_me(p[name], authority), action, **fields)
    event["subject"]["version"] = 0
    return push(p[name], event)


def person_at(p: dict[str, Any], name: str) -> dict[str, Any]:
    sync(p[name])
    return Requests(p[name]).get(p["rid"])["record"]["person"]


# -- 1. early erasure ---------------------------------------------------------------------------

def test_early_erasure_needs_a_party_and_its_data_protection_officer(p):
    """Mutants: privacy/event_types.py::_party (the party rule) without its check, and
    ::_officer without the role check. The hub then erases the request everywhere."""
    refused(erasure_requested(p, "de.dpo"), "not_allowed",
            f"{p['entity']} is not an exchange your authority takes part in")
    refused(erasure_requested(p, "hu.handler"), "not_allowed", NEEDS_ROLE.format("early erasure"))
    assert p["hub"].react() == 0
    assert person_at(p, "ie.handler") == PERSON
    assert not p["hub"].store.query("SELECT 1 FROM events WHERE type = 'personal_data.erasure_requested'")
    accepted(erasure_requested(p, "hu.dpo"))
    # the hub carried it out when the request arrived (Hub.react): its timer finds nothing left
    assert housekeeping.run_once(p["hub"], None)["early_erasures"] == 0
    assert person_at(p, "ie.handler") == {ERASED: 1}
    assert person_at(p, "hu.handler") == {ERASED: 1}
    assert person_at(p, "hu.dpo") == {ERASED: 1}
    sync(p["de.dpo"])
    assert not p["de.dpo"].query("SELECT 1 FROM events WHERE type LIKE 'personal_data.%'")
    assert not p["hub"].store.query("SELECT 1 FROM disclosures WHERE entity = ? AND disclosure IS NOT NULL",
                                    (p["entity"],))
    assert p["hub"].react() == 0  # carried out once
    refused(rectified(p, "hu.dpo", {"provider_name": "Nagy Kft."}), "illegal_transition",
            f"the personal data of {p['entity']} was erased")  # and it stays erased


# -- 2. rectification ---------------------------------------------------------------------------

def test_rectification_needs_a_party_and_its_data_protection_officer(p):
    """Mutants: as above, for personal_data.rectified; the correction reaches the parties only."""
    refused(rectified(p, "de.dpo", {"provider_name": "Forged Kft."}), "not_allowed",
            f"{p['entity']} is not an exchange your authority takes part in")
    refused(rectified(p, "hu.handler", {"provider_name": "Forged Kft."}), "not_allowed",
            NEEDS_ROLE.format("rectifying personal data"))
    assert person_at(p, "ie.handler") == PERSON
    accepted(rectified(p, "hu.dpo", {"provider_name": "Nagy és Társa Kft."}))
    assert person_at(p, "ie.handler") == {"provider_name": "Nagy és Társa Kft."}
    assert person_at(p, "hu.handler") == {"provider_name": "Nagy és Társa Kft."}
    sync(p["de.dpo"])
    assert not p["de.dpo"].query("SELECT 1 FROM events WHERE type = 'personal_data.rectified'")


def test_an_outsider_learns_nothing_of_an_exchange_from_a_refused_rectification(p):
    """Bug fixed with this test: the party check ran last, so DE-GEW, pushing a rectification
    with the audience and version it could guess, was told the request's parties ("the
    audience ... must be ['HU-MEK', 'IE-RIAI', ...]") or that it had changed since, and so
    that it exists. Mutant: `party=_party` dropped from personal_data.rectified."""
    told = f"{p['entity']} is not an exchange your authority takes part in"
    for entity, audience in ((p["entity"], ["DE-GEW"]), (p["entity"], ["HU-MEK"]), ("request/no-such-one", ["DE-GEW"])):
        event = make_event("personal_data.rectified", actor=_me(p["de.dpo"]),
                           payload={"entity": entity, "fields": {"provider_name": "Forged Kft."}},
                           subject={"entity": entity, "version": 0}, audience=audience)
        refused(push(p["de.dpo"], event), "not_allowed", told.replace(p["entity"], entity))
    # a party's officer with a wrong audience is told the right one: it holds the request anyway
    event = make_event("personal_data.rectified", actor=_me(p["hu.dpo"]),
                       payload={"entity": p["entity"], "fields": {"provider_name": "Nagy Kft"}},
                       subject={"entity": p["entity"], "version": 0}, audience=["HU-MEK"])
    refused(push(p["hu.dpo"], event), "invalid", "the audience of a personal_data.rectified must be "
            "['HU-MEK', 'IE-RIAI', 'coordinators:HU-MEK', 'coordinators:IE-RIAI']")


def test_blocked_or_erased_data_cannot_be_rectified_back(p, monkeypatch):
    """Bug fixed with this test: the hub took a rectification of an exchange whose personal
    data was blocked (Art. 14(1)) or erased (here early, with the data subject's consent),
    and every holder's copy got the data back; only the node's own command refused it.
    Mutant: _authorize_rectified without the blocked/erased check (or, for a request that
    named nobody, so that nothing of it is blocked but the exchange, without privacy_marks)."""
    ie, hu = Requests(p["ie.handler"]), Requests(p["hu.handler"])
    nobody = ie.new(area="services", to="HU-MEK", questionnaire="services-verify-provider",
                    questions=["legally_established"], deadline="2099-01-31", subject="Provider check")
    ie.send(nobody)
    sync(p["ie.handler"])
    sync(p["hu.handler"])
    for rid in (p["rid"], nobody):
        hu.accept(rid)
        hu.answer(rid, {"legally_established": "no"}, "hu")
    sync(p["hu.handler"])
    sync(p["ie.handler"])
    for rid in (p["rid"], nobody):
        ie.close(rid, 4, 4)
    sync(p["ie.handler"])
    closed = clock.parse_instant(ie.get(p["rid"])["closed_at"])
    monkeypatch.setenv("IMI_NOW", clock.iso(closed + dt.timedelta(days=7 * 31)))  # blocked 6 months after closure
    assert housekeeping.run_once(p["hub"], None)["privacy_blocked"] == 2
    for entity in (p["entity"], f"request/{nobody}"):
        refused(rectified(p, "hu.dpo", {"provider_name": "Back again"}, entity), "illegal_transition",
                f"the personal data of {entity} is blocked: it is kept as it was, as proof of the exchange")
    accepted(erasure_requested(p, "hu.dpo"))  # the neighbour: blocked data may still be erased early
    assert housekeeping.run_once(p["hub"], None)["early_erasures"] == 0  # done when it arrived (Hub.react)
    refused(rectified(p, "hu.dpo", {"provider_name": "Back again"}), "illegal_transition",
            f"the personal data of {p['entity']} was erased")
    assert person_at(p, "ie.handler") == {ERASED: 1}
    assert not p["hub"].store.query("SELECT 1 FROM events WHERE type = 'personal_data.rectified'")


# -- 3. the access log ------------------------------------------------------------------------------

def test_an_access_entry_is_its_authors_own_and_reaches_only_its_authority_and_coordinators(p):
    """Mutants: privacy/event_types.py::_authorize_access without actor_of for plain reads,
    without the officers-only check, or without the reason check."""
    refused(accessed(p, "hu.dpo", "request.show", authority="IE-RIAI", entity=p["entity"]), "not_allowed",
            "the event names another authority than its author's")
    refused(accessed(p, "hu.dpo", "blocked.read", entity=p["entity"]), "invalid", "reading blocked data needs a reason")
    refused(accessed(p, "hu.handler", "subject.search", reason="Art. 15 request", person={"name": "Nagy"}),
            "not_allowed", NEEDS_ROLE.format("a data subject's search"))
    result = accessed(p, "hu.dpo", "subject.search", reason="Art. 15 request", person={"name": "Nagy"})
    accepted(result)
    held = {}
    for name in ("hu.handler", "hu.nco", "ie.handler", "de.dpo"):
        sync(p[name])
        held[name] = p[name].query("SELECT count(*) FROM events WHERE id = ?", (result["id"],))[0][0]
    assert held == {"hu.handler": 1, "hu.nco": 1, "ie.handler": 0, "de.dpo": 0}
    assert [(e["user"], e["authority"], e["action"], e["reason"]) for e in access.entries(p["hu.handler"].conn)] \
        == [("hu.dpo", "HU-MEK", "subject.search", "Art. 15 request")]
    assert p["hub"].store.query("SELECT count(*) FROM events WHERE type = 'privacy.accessed'")[0][0] == 1


# -- 4. the erasure itself ---------------------------------------------------------------------------

def test_only_the_hub_erases_personal_data(p):
    """Mutant: personal_data.erased declared without made_by=HUB (users could erase
    anyone's data everywhere, by naming its digests)."""
    rows = p["hub"].store.query("SELECT event_id, digest FROM disclosures WHERE entity = ?", (p["entity"],))
    digests: dict[str, list[str]] = {}
    for event_id, digest in rows:
        digests.setdefault(event_id, []).append(digest)
    event = make_event("personal_data.erased", actor=_me(p["hu.dpo"]),
                       payload={"entity": p["entity"], "digests": digests},
                       subject={"entity": f"erasure/{p['entity']}", "version": 0})
    refused(push(p["hu.dpo"], _as_hub_expects(p["hub"], event)), "not_allowed",
            "only the hub erases personal data for the network")
    assert person_at(p, "ie.handler") == PERSON
    # the neighbour: the hub's own erasure, of the same digests
    assert erase_entity(p["hub"], p["entity"]) == digests
    assert person_at(p, "ie.handler") == {ERASED: 1}
