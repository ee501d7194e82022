"""The event-type registry: every type the network carries is declared once, with all the
rules the pipeline runs; the hub's API document names exactly these types."""

from __future__ import annotations

import pytest

from imi_cli.protocol import registry
from imi_cli.protocol.registry import EventType
from imi_cli.protocol.schemas import MAX_DEPTH, too_deep


def test_every_type_is_declared_with_its_rules():
    types = registry.all_types()
    assert {"authority.registered", "user.enrolled", "invitation.spent", "message.sent", "request.drafted",
            "request.answered", "request.reminder"} <= set(types)
    for name, t in types.items():
        assert t.name == name and t.schema["type"] == "object" and t.schema.get("additionalProperties") is False
        assert t.project is not None, f"{name} has no projector"
        assert t.made_by in (registry.USERS, registry.HUB, registry.BOTH)
        if t.made_by != registry.HUB:
            assert t.authorize is not None, f"{name} says nothing of who may make it"
        assert t.retention in ("directory", "exchange", "message", "hub")


def test_a_type_is_declared_once():
    with pytest.raises(RuntimeError, match="declared twice"):
        registry.declare(EventType("message.sent", {"type": "object"}, "message/", lambda v, e: []))


def test_the_api_document_lists_the_registry():
    from imi_cli.protocol.openapi import DOCUMENT as spec
    found = set()

    def walk(node):
        if isinstance(node, dict):
            if "enum" in node and "message.sent" in node["enum"]:
                found.update(node["enum"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    assert found == set(registry.names())


def test_nesting_is_bounded_without_recursion():
    deep: dict = {}
    node = deep
    for _ in range(5000):
        node["k"] = {}
        node = node["k"]
    assert too_deep(deep) and not too_deep({"a": [{"b": [1]}]})
    message = registry.get("message.sent")
    assert message is not None
    problem = message.compiled.problem({"from": "A", "to": "B", "subject": "s", "text": "t", "lang": "en", "x": deep})
    assert problem == f"payload: nested deeper than {MAX_DEPTH} levels"


@pytest.mark.parametrize(("event", "named"), [({"type": "note.posted"}, "'note.posted'"), ({}, "'None'"),
                                              ({"type": "x" * 100}, repr("x" * 60))])
def test_an_undeclared_type_is_refused_by_name(event, named):
    from imi_cli.protocol.pipeline import type_of
    from imi_cli.protocol.refusal import Refusal

    with pytest.raises(Refusal) as refused:
        type_of(event)
    assert (refused.value.reason, refused.value.message) == (
        "not_allowed", f"the hub does not take events of type {named}")
