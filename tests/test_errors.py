"""Errors carry a message id and parameters; the English sentence is rendered from them,
and a hub's refusal keeps its typed reason and parameters on the node."""

from __future__ import annotations

import string

import pytest

from imi_cli.errors import ExitCode, ImiError, InvalidInput, NotFound, Problem, Rejected, UsageError
from imi_cli.messages import MESSAGES, english


def test_an_error_rendered_from_its_id_and_parameters():
    error = UsageError(msgid="options_go_together", params={"first": "--hub", "second": "--invite"})
    assert (error.message, str(error)) == ("--hub and --invite go together",) * 2
    assert (error.msgid, error.params, error.exit_code) == ("options_go_together",
                                                            {"first": "--hub", "second": "--invite"}, 2)


def test_an_error_with_a_plain_sentence_still_works():
    error = NotFound("no authority 'X'", hint="`imi sync` brings the directory")
    assert (error.message, error.msgid, error.params, error.hint) == (
        "no authority 'X'", None, {}, "`imi sync` brings the directory")


def test_an_error_needs_a_sentence_or_an_id():
    with pytest.raises(TypeError):
        ImiError()


def test_invalid_input_keeps_its_problems_with_an_id():
    error = InvalidInput(msgid="config_unknown_settings", params={"path": "imi.toml"},
                         problems=[Problem("imi.toml", "colour", "unknown setting")])
    assert error.message == "config file imi.toml has unknown settings"
    assert [str(p) for p in error.problems] == ["imi.toml: [colour] unknown setting"]


def test_a_refusal_carries_its_reason_and_parameters():
    error = Rejected(msgid="events_rejected", reason="rejected", params={"count": 2})
    assert (error.reason, error.params, error.exit_code) == ("rejected", {"count": 2}, ExitCode.REJECTED)
    assert error.as_dict() == {"error": "the hub refused 2 event(s)", "msgid": "events_rejected",
                               "params": {"count": 2}, "hint": None, "exit_code": 10, "reason": "rejected"}
    legacy = Rejected("cannot close a request that is accepted", reason="illegal_transition")
    assert (legacy.reason, legacy.msgid, legacy.params) == ("illegal_transition", None, {})


@pytest.mark.parametrize("msgid", sorted(MESSAGES))
def test_every_template_names_only_parameters(msgid):
    fields = [name for _, name, _, _ in string.Formatter().parse(MESSAGES[msgid]) if name is not None]
    assert all(name.isidentifier() for name in fields), msgid
    assert english(msgid, {name: "X" for name in fields})


def test_an_unknown_id_still_reads_as_something():
    assert english("quota_exceeded", {"limit": 5}) == "quota_exceeded (limit=5)"
    assert english("quota_exceeded", {}) == "quota_exceeded"


def test_a_hub_refusal_keeps_the_hubs_reason_and_parameters():
    from imi_cli.sync.hubclient import hub_refusal

    typed = hub_refusal({"error": "to close a request you need the role request_handler",
                         "reason": "not_allowed", "msgid": "role_needed", "params": {"role": "request_handler"}},
                        "to close a request you need the role request_handler")
    assert (typed.reason, typed.msgid, typed.params) == ("not_allowed", "role_needed", {"role": "request_handler"})
    assert typed.message == "the hub refused: to close a request you need the role request_handler"
    plain = hub_refusal({"error": "unknown or revoked key", "reason": "unauthenticated"}, "unknown or revoked key")
    assert (plain.reason, plain.msgid, plain.params) == ("unauthenticated", "hub_refused",
                                                          {"detail": "unknown or revoked key"})
    assert plain.message == "the hub refused: unknown or revoked key"
    bare = hub_refusal({}, "HTTP 403")
    assert (bare.reason, bare.message) == ("not_allowed", "the hub refused: HTTP 403")
