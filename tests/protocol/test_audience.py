"""Audience terms and groups, expanded from the directory the way the hub does it on accept."""

from __future__ import annotations

import pytest

from imi_cli.protocol import audience
from imi_cli.protocol.refusal import Refusal
from imi_cli.protocol.view import RulesView


@pytest.fixture
def view(directory_store):
    return RulesView(directory_store.conn, at_hub=True)


@pytest.mark.parametrize(("terms", "expanded"), [
    (["*"], ["*"]),
    (["hub"], ["hub"]),
    (["FR-SVC", "DE-SVC"], ["DE-SVC", "FR-SVC"]),
    (["country:FR"], ["FR-AC", "FR-ARCH", "FR-BOTH", "FR-NCO", "FR-SVC"]),
    (["area:services"], ["DE-NCO", "DE-SVC", "FR-AC", "FR-BOTH", "FR-NCO", "FR-SVC"]),
    (["country:FR/area:services/kind:authority"], ["FR-BOTH", "FR-SVC"]),
    (["role:alert_handler"], ["DE-SVC", "FR-SVC"]),
    (["country:DE/role:alert_handler"], ["DE-SVC"]),
    (["role:supervisor"], []),
    (["all-member-states"], ["DE-NCO", "FR-NCO"]),
    (["coordinators:FR-SVC"], ["FR-AC", "FR-NCO"]),
    (["coordinators:FR-ARCH"], ["FR-NCO"]),
    (["coordinators:FR-NCO"], []),
    (["FR-ARCH", "coordinators:FR-ARCH", "coordinators:DE-SVC"], ["DE-NCO", "FR-ARCH", "FR-NCO"]),
])
def test_groups_expand_from_the_directory(view, terms, expanded):
    assert audience.expand(view, audience.check_terms(terms)) == expanded


@pytest.mark.parametrize("terms", [
    [], "FR-SVC", [1], ["country:FR;DROP TABLE"], ["colour:red"], ["coordinators:"], ["a b"],
    ["country:FR/"], ["x" * 65], [f"A{i}" for i in range(65)],
])
def test_malformed_audiences_are_refused(terms):
    with pytest.raises(Refusal, match="audience"):
        audience.check_terms(terms)
