"""A local store with a small directory: two countries' coordinators, authorities and users."""

from __future__ import annotations

import pytest

from imi_cli.directory.authorities import Directory
from imi_cli.directory.users import Users
from imi_cli.log.store import Store

AUTHORITIES = [
    {"id": "FR-NCO", "kind": "national_coordinator", "country": "FR", "names": {"fr": "Coordinateur"},
     "languages": "fr", "areas": "services;professional-qualifications", "email": "nco@example.fr"},
    {"id": "FR-AC", "kind": "area_coordinator", "country": "FR", "names": {"fr": "Services"}, "languages": "fr",
     "areas": "services", "email": "ac@example.fr", "coordinator": "FR-NCO"},
    {"id": "FR-SVC", "country": "FR", "names": {"fr": "Guichet"}, "languages": "fr", "areas": "services",
     "email": "svc@example.fr", "coordinator": "FR-AC"},
    {"id": "FR-ARCH", "country": "FR", "names": {"fr": "Ordre des architectes"}, "languages": "fr",
     "areas": "professional-qualifications", "email": "arch@example.fr", "coordinator": "FR-NCO"},
    {"id": "FR-BOTH", "country": "FR", "names": {"fr": "Les deux"}, "languages": "fr",
     "areas": "professional-qualifications;services", "email": "both@example.fr", "coordinator": "FR-NCO"},
    {"id": "DE-NCO", "kind": "national_coordinator", "country": "DE", "names": {"de": "Koordinator"},
     "languages": "de", "areas": "services", "email": "nco@example.de"},
    {"id": "DE-SVC", "country": "DE", "names": {"de": "Amt"}, "languages": "de", "areas": "services",
     "email": "svc@example.de", "coordinator": "DE-NCO"},
]
USERS = [
    {"id": "fr.alert", "name": "A", "email": "a@example.fr", "authority": "FR-SVC", "roles": "alert_handler"},
    {"id": "de.alert", "name": "B", "email": "b@example.de", "authority": "DE-SVC", "roles": "services:alert_handler"},
    {"id": "fr.clerk", "name": "C", "email": "c@example.fr", "authority": "FR-ARCH", "roles": "request_handler"},
]


@pytest.fixture
def directory_store(tmp_path, monkeypatch):
    import imi_cli.log.store

    monkeypatch.setattr(imi_cli.log.store, "KDF_ITERATIONS", 2)
    store = Store.create(tmp_path / "store.db", "passphrase")
    Directory(store).register_authorities([(f"row {i}", a) for i, a in enumerate(AUTHORITIES)])
    Users(store).register([(f"row {i}", u) for i, u in enumerate(USERS)])
    yield store
    store.close()
