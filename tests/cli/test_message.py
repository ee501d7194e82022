"""`imi message send|list` against the stores of a real network (hub on loopback): what is
typed arrives as typed, only at the two authorities, and mistakes have exact messages."""

from __future__ import annotations

import json
import uuid

from imi_cli.errors import ExitCode


def ok(result):
    assert result.code == 0, result.err
    return result


def _received(cli, name: str, subject_or_text: str) -> list[dict]:
    ok(cli(name, "sync"))
    rows = json.loads(ok(cli(name, "message", "list", "--json")).out)
    return [m for m in rows if subject_or_text in (m["subject"], m["text"])]


def test_a_subject_that_looks_like_an_option_stays_the_subject(network, cli):
    text = f"Could you confirm the diploma? {uuid.uuid4()}"
    sent = ok(cli("ie.handler", "message", "send", "--to", "HU-AUTH", "--subject", "--json", text))
    assert sent.out == ""  # --json was the subject, not the option: no JSON printed
    assert sent.err.startswith("Message ") and " queued for HU-AUTH (`imi sync` takes it to the hub)" in sent.err
    ok(cli("ie.handler", "sync"))
    [got] = _received(cli, "hu.handler", text)
    assert (got["subject"], got["text"], got["from"], got["to"]) == ("--json", text, "IE-AUTH", "HU-AUTH")


def test_a_body_that_is_literally_json_after_a_double_dash(network, cli):
    subject = f"Body test {uuid.uuid4()}"
    ok(cli("ie.handler", "message", "send", "--to", "HU-AUTH", "--subject", subject, "--", "--json"))
    ok(cli("ie.handler", "sync"))
    [got] = _received(cli, "hu.handler", subject)
    assert got["text"] == "--json"


def test_json_and_lang_after_the_subcommand(network, cli):
    subject = f"Ceist {uuid.uuid4()}"
    sent = json.loads(ok(cli("ie.handler", "message", "send", "--to", "HU-AUTH", "--subject", subject,
                             "An bhfuil an dioplóma bailí?", "--lang", "ga", "--json")).out)
    assert sent["to"] == "HU-AUTH" and sent["subject"] == subject and len(sent["id"]) == 36
    ok(cli("ie.handler", "sync"))
    [got] = _received(cli, "hu.handler", subject)
    assert (got["id"], got["lang"], got["author"]) == (sent["id"], "ga", "ie.handler")


def test_only_the_two_authorities_receive_a_message(network, cli):
    subject = f"Private {uuid.uuid4()}"
    ok(cli("ie.handler", "message", "send", "--to", "HU-AUTH", "--subject", subject, "Only for HU-AUTH"))
    ok(cli("ie.handler", "sync"))
    assert len(_received(cli, "hu.handler", subject)) == 1
    assert _received(cli, "de.handler", subject) == []
    assert _received(cli, "hu.nco", subject) == []


def test_a_message_list_in_a_pipe_is_tab_separated(network, cli):
    subject = f"Tabs {uuid.uuid4()}"
    ok(cli("ie.handler", "message", "send", "--to", "HU-AUTH", "--subject", subject, "line one"))
    rows = [line.split("\t") for line in ok(cli("ie.handler", "message", "list")).out.splitlines()]
    assert [row[1:] for row in rows if row[3] == subject] == [["IE-AUTH", "HU-AUTH", subject, "line one"]]


def test_to_an_unknown_authority(network, cli):
    result = cli("ie.handler", "message", "send", "--to", "XX-NONE", "--subject", "S", "text")
    assert (result.code, result.err) == (ExitCode.NOT_FOUND, "imi: error: no authority 'XX-NONE' in the directory\n"
                                                             "  hint: `imi sync` brings the directory\n")


def test_in_an_unknown_language(network, cli):
    result = cli("ie.handler", "message", "send", "--to", "HU-AUTH", "--subject", "S", "text", "--lang", "xx")
    assert result.code == ExitCode.USAGE
    assert result.err.startswith("imi: error: --lang 'xx' is not an IMI language code\n")


def test_without_a_recipient(network, cli):
    result = cli("ie.handler", "message", "send", "--subject", "S", "text")
    assert result.code == ExitCode.USAGE
    assert "Missing option '--to'" in result.err


def test_from_a_store_that_acts_for_no_authority(imi, unlocked):
    result = imi("message", "send", "--to", "HU-AUTH", "--subject", "S", "text")
    assert (result.code, result.err) == (
        ExitCode.USAGE, "imi: error: this store acts for no authority yet\n"
                        "  hint: enrol with `imi init --hub URL` (it asks for your invitation code)\n")
