"""A coordinator's new authorities are linked to it unless a file or flag says otherwise."""

from __future__ import annotations

import json

from imi_cli.demo.network import _sync
from imi_cli.directory.authorities import Directory


def test_a_new_authority_is_linked_to_the_coordinator_registering_it(pair):
    hu = pair.coords["HU"]
    base = {"country": "HU", "languages": "hu", "areas": "professional-qualifications", "email": "x@example.hu"}
    Directory(hu).register_authorities([
        ("t", {"id": "HU-A", "names": {"hu": "A"}, **base}),
        ("t", {"id": "HU-AC", "names": {"hu": "AC"}, "kind": "area_coordinator", **base}),
        ("t", {"id": "HU-B", "names": {"hu": "B"}, "coordinator": "HU-AC", **base})])
    assert _sync(hu).rejected == []
    links = {ident: json.loads(record).get("coordinator") for ident, record in
             pair.hub.store.query("SELECT id, record FROM authorities WHERE id IN ('HU-A', 'HU-AC', 'HU-B')")}
    assert links == {"HU-A": "HU-NCO", "HU-AC": None, "HU-B": "HU-AC"}
    again = Directory(hu).register_authorities([("t", {"id": "HU-A", "names": {"hu": "A"}, **base})])
    assert again.as_dict()["unchanged"] == 1  # imported again without the column: the link stays
