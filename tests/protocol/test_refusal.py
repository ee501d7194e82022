"""A refusal's template and parameters: what the hub sends, and what a node shows of a hub's refusal."""

from __future__ import annotations

import gettext

import pytest

from imi_cli import i18n
from imi_cli.protocol.refusal import Refusal, consistent, render_refusal, wire_params

TEMPLATE = "that needs the {role} role in {area}"
ENGLISH = "that needs the alert_handler role in services"
PARAMS = {"role": "alert_handler", "area": "services"}


class _Catalog(gettext.NullTranslations):
    """A catalog of one language that knows a few sentences."""

    WORDS = {TEMPLATE: "il faut le rôle {role} dans {area}", "the signature does not verify":
             "la signature ne se vérifie pas", "{x!r} is odd": "{x!r} est étrange"}

    def gettext(self, message: str) -> str:
        return self.WORDS.get(message, message)


@pytest.fixture
def french(monkeypatch):
    monkeypatch.setattr(i18n, "catalog", lambda code: _Catalog() if code == "fr" else gettext.NullTranslations())
    with i18n.language("fr"):
        yield


def test_a_refusal_is_its_template_filled_and_the_hub_sends_both():
    refusal = Refusal("not_allowed", TEMPLATE, **PARAMS, field="role")
    assert (refusal.message, refusal.msgid) == (ENGLISH, TEMPLATE)
    wire = refusal.wire()
    assert wire == {"reason": "not_allowed", "message": ENGLISH, "msgid": TEMPLATE,
                    "params": {**PARAMS, "field": "role"}}
    assert consistent(wire["message"], wire["msgid"], wire["params"])


def test_parameters_travel_as_json_values():
    import datetime as dt

    assert wire_params({"n": 3, "ok": True, "none": None, "x": 1.5, "day": dt.date(2027, 1, 31), "terms": ["a"],
                        "nan": float("nan")}) == {"n": 3, "ok": True, "none": None, "x": 1.5, "day": "2027-01-31",
                                                  "terms": "['a']", "nan": "nan"}


def test_a_consistent_refusal_is_told_in_the_interface_language(french):
    assert render_refusal(ENGLISH, TEMPLATE, PARAMS) == "il faut le rôle alert_handler dans services"
    assert render_refusal("the signature does not verify", "the signature does not verify", {}) \
        == "la signature ne se vérifie pas"
    assert render_refusal("'a' is odd", "{x!r} is odd", {"x": "a"}) == "'a' est étrange"


def test_in_english_the_sentence_is_the_hubs():
    assert render_refusal(ENGLISH, TEMPLATE, PARAMS) == ENGLISH


@pytest.mark.parametrize(("message", "msgid", "params"), [
    ("that needs the admin role in services", TEMPLATE, PARAMS),  # says something else than the hub's English
    (ENGLISH, TEMPLATE, {"role": "alert_handler"}),  # a field without its value
    (ENGLISH, TEMPLATE, None),
    (ENGLISH, TEMPLATE, ["alert_handler", "services"]),
    (ENGLISH, None, PARAMS),
    (ENGLISH, 42, PARAMS),
    (ENGLISH, TEMPLATE, {"role": {"nested": 1}, "area": "services"}),  # not a plain value
    (ENGLISH, TEMPLATE, {"role": ["alert_handler"], "area": "services"}),
    (ENGLISH, TEMPLATE, {**PARAMS, "padding": "x" * 5000}),  # too long
    (ENGLISH, TEMPLATE, {**{f"p{i}": i for i in range(50)}, **PARAMS}),  # too many
    (ENGLISH, "that needs the {0} role in {1}", {"0": "alert_handler", "1": "services"}),  # positional
    (ENGLISH, "that needs the {} role in {}", {}),
    (ENGLISH, "that needs the {role:>5} role in {area}", PARAMS),  # a format spec
    (ENGLISH, "that needs the {role!a} role in {area}", PARAMS),
    (ENGLISH, "that needs the { role } role in {area", PARAMS),  # malformed
])
def test_an_inconsistent_or_odd_refusal_is_shown_as_the_hub_wrote_it(french, message, msgid, params):
    assert render_refusal(message, msgid, params) == message


def test_a_template_that_reaches_into_its_parameters_is_never_evaluated(french):
    class Loud(str):
        def __getattr__(self, name):  # pragma: no cover - must never run
            raise AssertionError(f"the template looked up {name}")

    message = "<class 'str'>"
    assert render_refusal(message, "{x.__class__}", {"x": "a"}) == message
    assert render_refusal(message, "{x.__class__}", {"x": Loud("a")}) == message
    assert render_refusal("a", "{x[0]}", {"x": "abc"}) == "a"
    assert render_refusal(str(10**30), "{n}", {"n": 10**30}) == str(10**30)  # too large a number
    assert not consistent(message, "{x.__class__}", {"x": "a"})
