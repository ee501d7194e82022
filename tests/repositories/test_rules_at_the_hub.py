"""The repository rules as the hub runs them (``pipeline.check`` on a hub-side view of a store
with a small directory), for what the shared network does not stage: an area coordinator, a
change that would lift a licence's conditions, the exact 5-year bound, dates past any year."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from imi_cli.directory.authorities import Directory
from imi_cli.directory.users import Users
from imi_cli.log.crypto import Signer, new_private_key
from imi_cli.log.event import make_event
from imi_cli.log.journal import entity_version, note_version
from imi_cli.log.projections import apply
from imi_cli.log.store import Store
from imi_cli.protocol import pipeline
from imi_cli.protocol.refusal import Refusal
from imi_cli.protocol.view import RulesView

CIT = "euro-cash-in-transit"
KEY = new_private_key()
_SEQ = itertools.count(1)
AUTHORITIES = [
    {"id": "FR-NCO", "kind": "national_coordinator", "country": "FR", "names": {"fr": "C"}, "languages": "fr",
     "areas": "services;professional-qualifications", "email": "nco@example.fr"},
    {"id": "FR-AC", "kind": "area_coordinator", "country": "FR", "names": {"fr": "S"}, "languages": "fr",
     "areas": "services", "email": "ac@example.fr", "coordinator": "FR-NCO"},
    {"id": "FR-SVC", "country": "FR", "names": {"fr": "G"}, "languages": "fr", "areas": "services",
     "email": "svc@example.fr", "coordinator": "FR-AC"},
    {"id": "FR-ARCH", "country": "FR", "names": {"fr": "O"}, "languages": "fr",
     "areas": "professional-qualifications", "email": "arch@example.fr", "coordinator": "FR-NCO"},
    {"id": "NL-NCO", "kind": "national_coordinator", "country": "NL", "names": {"nl": "C"}, "languages": "nl",
     "areas": f"services;{CIT}", "email": "nco@example.nl"},
    {"id": "NL-DNB", "country": "NL", "names": {"nl": "D"}, "languages": "nl", "areas": CIT, "email": "d@example.nl"},
]
USERS = [
    {"id": "fr.nco", "name": "N", "email": "n@example.fr", "authority": "FR-NCO", "roles": "coordinator"},
    {"id": "fr.ac", "name": "A", "email": "a@example.fr", "authority": "FR-AC", "roles": "coordinator"},
    {"id": "nl.jansen", "name": "J", "email": "j@example.nl", "authority": "NL-DNB", "roles": "licensing_officer"},
]
CONDITIONS = {"good_repute": True, "insurance": True, "staff_vehicles_procedures": True, "national_licence": True}


@pytest.fixture
def store(tmp_path, monkeypatch) -> Any:
    import imi_cli.log.store as store_module

    monkeypatch.setattr(store_module, "KDF_ITERATIONS", 2)
    s = Store.create(tmp_path / "s.db", "passphrase")
    Directory(s).register_authorities([(f"row {i}", a) for i, a in enumerate(AUTHORITIES)])
    Users(s).register([(f"row {i}", u) for i, u in enumerate(USERS)])
    yield s
    s.close()


def at_hub(store: Any, user: str, authority: str, type_: str, entity: str, payload: dict[str, Any]) -> None:
    """Check the event as the hub would; if it is taken, fold it in. Raises Refusal."""
    event = make_event(type_, actor={"user": user, "authority": authority}, payload=payload,
                       subject={"entity": entity})
    with store.transaction() as conn:
        event["subject"]["version"] = entity_version(conn, entity)
        event["audience"] = pipeline.audience_of(RulesView(conn, at_hub=True), event)
        signed = Signer(user, KEY).sign_event(event)
        pipeline.check(RulesView(conn, at_hub=True), signed)
        apply(conn, signed)
        note_version(conn, signed, next(_SEQ))


REGISTER = {"id": "FR-ARCHITECTS", "country": "FR", "names": {"fr": "Tableau de l'Ordre"}, "holder": "FR-ARCH",
            "area": "professional-qualifications", "covers": ["architect"],
            "access": {"how": "online", "url": "https://example.fr/ordre"}, "languages": ["fr"]}


def test_an_area_coordinator_cannot_take_over_another_areas_register(store):
    at_hub(store, "fr.nco", "FR-NCO", "register.recorded", "register/FR-ARCHITECTS", {"register": REGISTER})
    taken = {**REGISTER, "area": "services", "holder": "FR-SVC", "names": {"fr": "autre"}}
    with pytest.raises(Refusal, match="registers of FR in professional-qualifications are recorded by") as refused:
        at_hub(store, "fr.ac", "FR-AC", "register.recorded", "register/FR-ARCHITECTS", {"register": taken})
    assert refused.value.reason == "not_allowed"
    # its own area's new entry it records
    at_hub(store, "fr.ac", "FR-AC", "register.recorded", "register/FR-GUIDES",
           {"register": {**taken, "id": "FR-GUIDES"}})


def _licence(store: Any, valid_to: str) -> None:
    at_hub(store, "nl.jansen", "NL-DNB", "licence.issued", "licence/NL-1", {"licence": {
        "number": "NL-1", "country": "NL", "authority": "NL-DNB", "valid_from": "2026-03-01", "valid_to": valid_to,
        "company": {"name": "Geld BV", "registration_number": "1", "address": "A"}, "conditions": CONDITIONS}})


def test_a_licence_lasts_five_years_counting_both_ends(store):
    with pytest.raises(Refusal, match="no later than 2031-02-28"):
        _licence(store, "2031-03-01")
    _licence(store, "2031-02-28")


def test_a_change_of_the_end_date_does_not_lift_the_conditions(store):
    _licence(store, "2030-12-31")
    unmet = {"good_repute": False, "insurance": False, "staff_vehicles_procedures": False}
    for change in ({"conditions": unmet}, {"conditions": unmet, "valid_to": "2030-01-01"}):
        with pytest.raises(Refusal, match="only when every condition is met"):
            at_hub(store, "nl.jansen", "NL-DNB", "licence.changed", "licence/NL-1", {"reason": "r", **change})


@pytest.mark.parametrize("type_, payload", [
    ("licence.suspended", {"scope": "NL", "from": "9999-12-01", "to": "9999-12-20", "reason": "r"}),
    ("licence.host_notified", {"host": "BE", "notice_date": "9999-12-01", "start": "9999-12-31",
                               "transport_types": ["car"], "staff": [], "weapons": ""}),
])
def test_a_date_past_any_year_is_refused_not_a_crash(store, type_, payload):
    _licence(store, "2030-12-31")
    with pytest.raises(Refusal, match="is not a date") as refused:
        at_hub(store, "nl.jansen", "NL-DNB", type_, "licence/NL-1", payload)
    assert refused.value.reason == "invalid"
