"""The shell: shared options declared on the commands that take them (nothing moved around
in argv), the environment a test can swap, and the one map from errors to exit codes."""

from __future__ import annotations

import io
import json

import pytest

from imi_cli.cli.app import main
from imi_cli.cli.environment import Environment
from imi_cli.cli.exit_codes import exit_status
from imi_cli.errors import EventsRejected, ExitCode, NotFound


def _env(**kw) -> Environment:
    return Environment(stdout=io.StringIO(), stderr=io.StringIO(), **kw)


# -- options ----------------------------------------------------------------------------
def test_export_po_takes_to_as_the_target_not_the_display_language(imi):
    result = imi("--lang", "hu", "questionnaire", "export-po", "pq-alert", "--to", "ga")
    assert result.code == 0, result.err
    assert '"Language: ga\\n"' in result.out


def test_export_po_never_takes_the_display_language_as_its_target(imi, monkeypatch):
    monkeypatch.setenv("IMI_LANG", "de")
    result = imi("--lang", "en", "questionnaire", "export-po", "pq-alert", "--lang", "en")
    assert result.code == ExitCode.USAGE
    assert result.err.startswith("imi: error: export-po needs --to, the language to translate into\n")
    assert "imi questionnaire export-po pq-alert --to de -o pq-alert.de.po" in result.err


def test_lang_is_the_interface_language_and_language_the_sets(imi):
    """`questionnaire show`: --lang is what imi speaks (and the default language of the set),
    --language the language the set is shown in; the old own --lang of export-po is gone."""
    result = imi("questionnaire", "show", "pq-alert", "--lang", "en", "--language", "de")
    assert result.code == 0, result.err
    assert result.out != imi("questionnaire", "show", "pq-alert", "--lang", "en").out
    bad = imi("questionnaire", "show", "pq-alert", "--language", "xx")
    assert (bad.code, bad.err.splitlines()[0]) == (ExitCode.USAGE,
                                                   "imi: error: --language 'xx' is not an IMI language code")
    bad = imi("questionnaire", "export-po", "pq-alert", "--to", "xx")
    assert (bad.code, bad.err.splitlines()[0]) == (ExitCode.USAGE, "imi: error: --to 'xx' is not an IMI language code")


@pytest.mark.parametrize("command", [("authority", "show"), ("request", "answer"), ("inbox",), ("user", "list")])
def test_shared_options_show_in_the_commands_help(imi, command):
    result = imi(*command, "--help")
    assert result.code == 0
    for option in ("--json", "--lang", "--store"):
        assert f"\n  {option} " in result.out, (command, option)


def test_an_unknown_option_after_the_subcommand_is_a_usage_error(imi):
    result = imi("area", "list", "--config", "x.toml")  # --config is global only
    assert result.code == ExitCode.USAGE
    assert "No such option: --config" in result.err


def test_a_store_after_the_subcommand_wins_over_the_environment(tmp_path, monkeypatch):
    opened = []

    def factory(path, settings, *, create=False, keep_key=False):
        opened.append((path, settings.sources["store"], create))
        raise NotFound("no store here (a test's factory)")

    monkeypatch.setenv("IMI_STORE", str(tmp_path / "from-env.db"))
    env = _env(store_factory=factory)
    assert main(["store", "status", "--store", str(tmp_path / "given.db")], env=env) == ExitCode.NOT_FOUND
    assert opened == [(tmp_path / "given.db", "flag", False)]
    assert env.stderr.getvalue() == "imi: error: no store here (a test's factory)\n"


# -- the environment -------------------------------------------------------------------
def test_a_run_writes_to_the_streams_of_its_environment(capsys):
    env = _env()
    assert main(["area", "list", "--json", "--lang", "de"], env=env) == 0
    assert json.loads(env.stdout.getvalue())[0]["name"] == "Berufsqualifikationen"
    assert env.lang == "de" and env.as_json
    assert capsys.readouterr() == ("", "")


def test_errors_go_to_the_stderr_of_the_environment():
    env = _env()
    assert main(["area", "list", "--lang", "xx"], env=env) == ExitCode.USAGE
    assert env.stderr.getvalue().startswith("imi: error: --lang 'xx' is not an IMI language code\n")
    assert env.stdout.getvalue() == ""


def test_outside_a_run_the_environment_comes_from_the_settings(monkeypatch, tmp_path):
    from imi_cli.cli.environment import environment

    monkeypatch.setenv("IMI_STORE", str(tmp_path / "s.db"))
    monkeypatch.setenv("IMI_LANG", "fi")
    env = environment()
    assert (env.store_path, env.lang, env.as_json) == (tmp_path / "s.db", "fi", False)


# -- the one map to exit codes ------------------------------------------------------------
def test_refused_events_exit_rejected():
    env = _env()
    assert exit_status(EventsRejected(3), env) == ExitCode.REJECTED == 10
    assert env.stderr.getvalue() == ("imi: error: the hub refused 3 event(s)\n"
                                     "  hint: `imi outbox --state rejected` lists each event with its reason\n")


def test_interrupt_and_abort():
    import typer

    env = _env()
    assert exit_status(KeyboardInterrupt(), env) == 130
    assert exit_status(typer.Abort(), env) == ExitCode.ERROR
    assert env.stderr.getvalue() == "imi: interrupted\nimi: aborted\n"


def test_a_bug_keeps_its_traceback():
    with pytest.raises(ZeroDivisionError, match="^a bug$"):
        exit_status(ZeroDivisionError("a bug"), _env())
