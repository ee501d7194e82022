"""The interface in each of IMI's 26 languages, against the stores of a real network (hub on
loopback): `imi --help`, `imi request show`, `imi inbox`, an error and a refusal, with no
English sentence left where the language's catalog has a translation."""

from __future__ import annotations

import io
import re
import string

import pytest

from imi_cli.i18n import catalog
from imi_cli.reference.languages import LANGUAGES
from tests.conftest import Result

NEW = ("request", "new", "--area", "services", "--to", "HU-AUTH", "--questionnaire", "services-verify-provider",
       "--questions", "legally_established,authorisation_status", "--deadline", "2099-01-31",
       "--subject", "Provider check", "--person", "provider_name=Nagy Kft.")
TRANSLATED = [code for code in LANGUAGES if code != "en"]


def english_left(text: str, code: str) -> list[str]:
    """The English sentences of ``code``'s catalog (at least 15 characters of text between
    their fields) that appear in ``text`` although the catalog translates them."""
    translations = catalog(code)._catalog  # type: ignore[attr-defined]
    left = []
    for key, translated in translations.items():
        msgid = key[0] if isinstance(key, tuple) else key
        if not msgid or "\x04" in msgid or translated == msgid:
            continue
        for piece in (literal for literal, *_ in string.Formatter().parse(msgid)):
            piece = piece.strip(" .:,;()")
            if len(piece) >= 15 and re.search(r"[a-z]{3,} [a-z]{2,}", piece) and piece in text \
                    and piece not in translated:
                left.append(piece)
    return left


# what the tests of this module share, made by the first that needs it (the `cli` fixture is
# per test: it captures that test's output)
_MADE: dict[str, object] = {}


@pytest.fixture
def request_id(network, cli):
    if "request" not in _MADE:
        rid = cli("ie.handler", *NEW).out.strip()
        assert cli("ie.handler", "request", "send", rid).code == 0
        network.sync("ie.handler", "hu.handler")
        _MADE["request"] = rid
    return _MADE["request"]


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_language_has_a_whole_catalog(code):
    translations = catalog(code)._catalog  # type: ignore[attr-defined]
    assert len(translations) > 300, f"{code}: {len(translations)} messages compiled"
    assert catalog(code).gettext("Show this message and exit.") != "Show this message and exit."


class Terminal(io.StringIO):
    """Standard output as a terminal: tables are drawn for a person (in a pipe, they are
    tab-separated codes for a script)."""

    def isatty(self) -> bool:
        return True


def on_terminal(network, name: str, *args: str) -> Result:
    from imi_cli.cli.app import main
    from imi_cli.cli.environment import Environment

    out, err = Terminal(), io.StringIO()
    code = main(["--store", str(network.stores[name].path), *args], env=Environment(stdout=out, stderr=err))
    return Result(code, out.getvalue(), err.getvalue())


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_request_story_reads_in_the_language(code, cli, network, request_id, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")  # a wide terminal: no sentence is wrapped inside a cell
    views = {
        "--help": cli("hu.handler", "--lang", code, "--help"),
        "request --help": cli("hu.handler", "--lang", code, "request", "show", "--help"),
        "request show": cli("hu.handler", "--lang", code, "request", "show", request_id),
        "inbox": on_terminal(network, "hu.handler", "--lang", code, "inbox"),
    }
    for name, result in views.items():
        assert result.code == 0, (name, result.err)
    error = cli("hu.handler", "--lang", code, "request", "show", "nope")
    assert error.code == 4
    usage = cli("hu.handler", "--lang", code, "request", "show")
    assert usage.code == 2
    refusal = cli("ie.handler", "--lang", code, "request", "accept", request_id)
    assert refusal.code == 10
    texts = {**{name: r.out for name, r in views.items()}, "error": error.err, "usage": usage.err,
             "refusal": refusal.err}
    for name, text in texts.items():
        assert english_left(text, code) == [], (code, name, text)
    # the words of the interface are those of the catalog
    assert catalog(code).gettext("Options") in views["--help"].out
    assert catalog(code).gettext("Commands") in views["--help"].out


def test_the_english_check_finds_english(cli, request_id):
    """The check above is not blind: English output run through it for Hungarian finds sentences."""
    text = cli("hu.handler", "--lang", "en", "--help").out + cli("hu.handler", "request", "show", "nope").err
    assert english_left(text, "hu")


def test_the_locale_picks_the_language(imi, monkeypatch):
    monkeypatch.setenv("LANG", "fi_FI.UTF-8")
    finnish = imi("--help").out
    assert catalog("fi").gettext("Options") in finnish
    monkeypatch.setenv("IMI_LANG", "hu")
    assert catalog("hu").gettext("Options") in imi("--help").out
    monkeypatch.delenv("IMI_LANG")
    assert catalog("de").gettext("Options") in imi("--lang", "de-DE", "--help").out
    assert catalog("sv").gettext("Options") in imi("--help", "--lang", "SV").out
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert "Options:" in imi("--help").out


@pytest.mark.parametrize(("code", "numbers"), [
    # the plural index gettext picks for 0, 1, 2, 5 and 22 (CLDR rules, as Babel writes them)
    ("pl", [2, 0, 1, 2, 1]),
    ("lv", [0, 1, 2, 2, 2]),
    ("ga", [4, 0, 1, 2, 4]),
    ("en", None),
])
def test_plural_forms_follow_cldr(code, numbers):
    from imi_cli import i18n

    if numbers is None:
        with i18n.language(code):
            assert [i18n.nt("{n} day", "{n} days", n) for n in (1, 2)] == ["1 day", "2 days"]
        return
    translations = catalog(code)
    assert [translations.plural(n) for n in (0, 1, 2, 5, 22)] == numbers  # type: ignore[attr-defined]
    plurals = [k for k in translations._catalog if isinstance(k, tuple)]  # type: ignore[attr-defined]
    assert plurals, f"{code} has no plural message"
    forms = {translations._catalog[(k[0], i)] for k in plurals[:1]  # type: ignore[attr-defined]
             for i in range(len(set(numbers)))}
    assert len(forms) >= 2


@pytest.fixture
def hub_refusal(network, cli):
    if "refusal" not in _MADE:
        _MADE["refusal"] = _refused(network, cli)
    return _MADE["refusal"]


def _refused(network, cli):
    """A real refusal of the hub: the requester withdraws and the responder accepts at the same
    time; the hub takes the first and refuses the second. Returns the outbox row of the refused
    event (as a program reads it: the hub's English, its message id and parameters)."""
    import json

    rid = cli("ie.handler", *NEW).out.strip()
    assert cli("ie.handler", "request", "send", rid).code == 0
    network.sync("ie.handler", "hu.handler")
    assert cli("ie.handler", "request", "withdraw", rid, "--reason", "sent twice").code == 0
    assert cli("hu.handler", "request", "accept", rid).code == 0
    network.sync("ie.handler")
    pushed = cli("hu.handler", "sync")
    assert pushed.code == 10, pushed.err
    rows = json.loads(cli("hu.handler", "--json", "outbox", "--state", "rejected").out)
    refused = [row for row in rows if row.get("msgid")]
    assert refused, rows
    return refused[-1]


@pytest.mark.parametrize("code", LANGUAGES)
def test_a_hub_refusal_is_told_in_the_language(code, hub_refusal):
    from imi_cli import i18n
    from imi_cli.protocol.refusal import render_refusal

    with i18n.language(code):
        told = render_refusal(hub_refusal["detail"], hub_refusal["msgid"], hub_refusal["params"])
        assert told == i18n.t(hub_refusal["msgid"], **hub_refusal["params"])
    if code == "en":
        assert told == hub_refusal["detail"]
    else:
        assert told != hub_refusal["detail"], (code, told)
        assert english_left(told, code) == []
    # a hub whose sentence does not match its message id is shown as it wrote it
    with i18n.language(code):
        assert render_refusal("something else", hub_refusal["msgid"], hub_refusal["params"]) == "something else"
