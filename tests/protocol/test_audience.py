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
    ["country:FR/"], ["x" * 65], [f"A{i}" for i in range(513)],
])
def test_malformed_audiences_are_refused(terms):
    with pytest.raises(Refusal, match="audience"):
        audience.check_terms(terms)


def test_an_audience_has_one_to_512_terms():
    assert audience.check_terms(["FR-SVC"] * 512) == ["FR-SVC"] * 512
    for terms in ([], ["FR-SVC"] * 513, "FR-SVC", None):
        with pytest.raises(Refusal, match="^an audience is a list of 1 to 512 terms$") as refused:
            audience.check_terms(terms)
        assert refused.value.reason == "invalid"


@pytest.mark.parametrize("term", ["coordinators:FR-SVC:x", "coordinators:x:FR-SVC", "coordinators:", "country:FR:x",
                                  "country:FR/", "FR SVC", "role:*", "coordinators:" + "x" * 100])
def test_a_term_with_anything_more_is_refused(term):
    with pytest.raises(Refusal, match="^an audience term is an authority id, a group or \\*$") as refused:
        audience.check_terms(["FR-SVC", term])
    assert refused.value.reason == "invalid"
    assert refused.value.params == {"term": term[:80]}  # named, and cut to 80 characters
