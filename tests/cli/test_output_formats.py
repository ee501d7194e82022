"""The CLI's conventions for scripts and people: listings as table, tsv, csv or json with a
header line; errors as JSON with --json; ids a person can copy (shortest unique prefixes,
and any unique prefix taken back); --quiet; the pager; shell completion."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pytest

from imi_cli.cli.ids import MIN_SHOWN
from tests.cli.test_languages import NEW, on_terminal

AREA_KEYS = ["id", "name", "legal_basis"]


def test_a_pipe_gets_a_header_line_of_keys_then_rows(imi):
    result = imi("area", "list")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].split("\t") == AREA_KEYS
    assert "professional-qualifications" in [line.split("\t")[0] for line in lines[1:]]


def test_the_header_is_the_same_in_every_language(imi):
    """Scripts read the keys: the headings a person reads are translated, the header line is not."""
    assert imi("--lang", "hu", "area", "list").out.splitlines()[0].split("\t") == AREA_KEYS


def test_csv_is_what_the_csv_module_reads(imi):
    result = imi("area", "list", "--format", "csv")
    assert result.code == 0, result.err
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert rows and set(rows[0]) == set(AREA_KEYS)
    services = next(row for row in rows if row["id"] == "services")
    assert services["legal_basis"] == "Directive 2006/123/EC"


def test_format_json_is_json_and_before_the_subcommand_too(imi):
    after = imi("area", "list", "--format", "json")
    before = imi("--format", "json", "area", "list")
    assert after.code == before.code == 0
    assert json.loads(after.out) == json.loads(before.out) == json.loads(imi("area", "list", "--json").out)


def test_the_format_given_after_the_subcommand_wins(imi):
    result = imi("--json", "area", "list", "--format", "tsv")
    assert result.out.splitlines()[0].split("\t") == AREA_KEYS


def test_an_unknown_format_is_a_usage_error_naming_the_choices(imi):
    result = imi("area", "list", "--format", "xml")
    assert result.code == 2
    assert "xml" in result.err and "csv" in result.err and "Traceback" not in result.err
    assert result.out == ""


def test_a_table_is_drawn_when_asked_even_in_a_pipe(imi, monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    result = imi("area", "list", "--format", "table")
    assert "Professional qualifications" in result.out and "\t" not in result.out
    assert "─" in result.out or "━" in result.out  # rich's box lines


def test_tabs_and_newlines_in_a_cell_stay_in_their_row(cli, network):
    """A subject with a tab and a newline (another authority chose it) is one row of the same width."""
    sent = cli("ie.handler", "message", "send", "--to", "HU-AUTH", "--subject", "a\tb\nc", "body\there")
    assert sent.code == 0, sent.err
    network.sync("ie.handler", "hu.handler")
    for fmt, read in (("tsv", lambda text: [line.split("\t") for line in text.splitlines()]),
                      ("csv", lambda text: list(csv.reader(io.StringIO(text))))):
        rows = read(cli("hu.handler", "message", "list", "--format", fmt).out)
        header, body = rows[0], rows[1:]
        assert header == ["at", "from", "to", "subject", "text"]
        assert all(len(row) == len(header) for row in body), (fmt, rows)
        subjects = [row[header.index("subject")] for row in body]
        expected = "a\\tb\\nc" if fmt == "tsv" else "a\\tb\nc"
        assert expected in subjects, (fmt, subjects)


def test_message_send_json_prints_the_sent_message(cli):
    result = cli("ie.handler", "message", "send", "--to", "HU-AUTH", "--subject", "Diploma", "Is it genuine?", "--json")
    assert result.code == 0, result.err
    sent = json.loads(result.out)
    assert (sent["to"], sent["subject"], sent["text"], sent["state"]) == ("HU-AUTH", "Diploma", "Is it genuine?",
                                                                          "queued")
    assert sent["from"] and sent["at"] and len(sent["id"]) == 36


# -- errors as JSON -------------------------------------------------------------------------

def test_an_error_with_json_is_json_on_stderr(cli):
    result = cli("hu.handler", "request", "show", "0000ffff-0000", "--json")
    assert result.code == 4 and result.out == ""
    error = json.loads(result.err)
    assert error["exit_code"] == 4 and "0000ffff-0000" in error["error"] and error["hint"]


def test_bad_input_with_json_lists_its_problems(imi, unlocked, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,country,name,languages,areas,email\nHU-X,XX,Name,hu,services,nope\n", encoding="utf-8")
    result = imi("authority", "import", str(bad), "--json")
    assert result.code == 5, result.err
    error = json.loads(result.err)
    fields = {problem["field"] for problem in error["problems"]}
    assert {"country", "email"} <= fields
    assert all(problem["where"].endswith("bad.csv:2") for problem in error["problems"]), error["problems"]


def test_without_json_an_error_is_a_sentence(cli):
    result = cli("hu.handler", "request", "show", "0000ffff-0000")
    assert result.err.startswith("imi: error:")


# -- ids ----------------------------------------------------------------------------------------

@pytest.fixture
def two_requests(cli):
    made = []
    for _ in range(2):
        result = cli("ie.handler", *NEW)
        assert result.code == 0, result.err
        made.append(result.out.strip())
    return made


def test_a_unique_prefix_is_taken_for_the_id(cli, two_requests):
    rid = two_requests[0]
    whole = cli("ie.handler", "request", "show", rid, "--json")
    for given in (rid, rid[:MIN_SHOWN + 8], rid[:MIN_SHOWN + 8].upper()):
        result = cli("ie.handler", "request", "show", given, "--json")
        assert result.code == 0, (given, result.err)
        assert json.loads(result.out)["id"] == rid
    assert json.loads(whole.out)["id"] == rid
    # a step takes a prefix too, and says the whole id
    unique = _unique_prefix(cli, rid)
    sent = cli("ie.handler", "request", "send", unique)
    assert sent.code == 0, sent.err
    assert rid in sent.err


def _unique_prefix(cli, rid: str) -> str:
    """The prefix `request list` shows for ``rid`` on a terminal."""
    from imi_cli.cli.ids import shortest_prefixes
    from tests.exchanges.requests.network import PASSPHRASE  # noqa: F401 -- the store is unlocked by cli

    listed = cli("ie.handler", "request", "list", "--all", "--json")
    ids = [row["id"] for row in json.loads(listed.out)]
    assert rid in ids
    for length in range(MIN_SHOWN, len(rid) + 1):
        if sum(1 for other in ids if other.startswith(rid[:length])) == 1:
            return rid[:length]
    raise AssertionError(shortest_prefixes)


def test_a_prefix_two_ids_share_is_refused_naming_both(cli, two_requests):
    a, b = two_requests
    shared = os.path.commonprefix([a, b])
    assert len(shared) >= 4, (a, b)  # UUIDv7s made a moment apart share their time
    result = cli("ie.handler", "request", "show", shared)
    assert result.code == 2, result.err
    assert a in result.err and b in result.err
    assert result.out == ""


def test_too_short_a_prefix_is_not_looked_up(cli, two_requests):
    result = cli("ie.handler", "request", "show", two_requests[0][:3])
    assert result.code == 4  # not found: three characters name no id


def test_a_terminal_table_shows_the_shortest_unique_prefix_and_it_works(network, cli, two_requests, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    table = on_terminal(network, "ie.handler", "request", "list", "--all")
    assert table.code == 0, table.err
    for rid in two_requests:
        assert rid not in table.out  # not whole: 36 characters do not fit beside a subject at 80 columns
        shown = _unique_prefix(cli, rid)
        assert shown in table.out, (shown, table.out)
        assert shown + "…" not in table.out  # never cut
        assert json.loads(cli("ie.handler", "request", "show", shown, "--json").out)["id"] == rid
    # a pipe keeps the whole id
    assert two_requests[0] in cli("ie.handler", "request", "list", "--all").out


# -- quiet, pager, completion ------------------------------------------------------------------

def test_quiet_keeps_messages_back_but_not_data_or_errors(cli):
    loud = cli("ie.handler", *NEW)
    quiet = cli("ie.handler", "--quiet", *NEW)
    assert quiet.code == loud.code == 0
    assert quiet.out.strip() and quiet.err == ""
    sent = cli("ie.handler", "-q", "request", "send", quiet.out.strip())
    assert sent.code == 0 and sent.err == ""
    failed = cli("ie.handler", "-q", "request", "show", "0000ffff-0000")
    assert failed.code == 4 and "imi: error:" in failed.err


class Tty(io.TextIOWrapper):
    """A terminal with a file under it (the pager writes to its descriptor)."""

    def isatty(self) -> bool:
        return True


def test_a_long_view_on_a_terminal_goes_through_the_pager(network, two_requests, tmp_path, monkeypatch):
    from imi_cli.cli.app import main
    from imi_cli.cli.environment import Environment

    def show(pager: str) -> str:
        monkeypatch.setenv("IMI_PAGER", pager)
        screen = tmp_path / "screen.txt"
        with Tty(open(screen, "wb"), encoding="utf-8") as out:
            code = main(["--store", str(network.stores["ie.handler"].path), "request", "show", two_requests[0]],
                        env=Environment(stdout=out, stderr=io.StringIO()))
        assert code == 0
        return screen.read_text(encoding="utf-8")

    monkeypatch.setenv("LINES", "10")
    pager = f"{sys.executable} -c \"import sys; sys.stdout.write('PAGED\\n' + sys.stdin.read())\""
    paged = show(pager)
    assert paged.startswith("PAGED\n") and "Provider check" in paged
    assert not show("").startswith("PAGED")  # an empty IMI_PAGER: no pager
    monkeypatch.setenv("LINES", "200")
    assert not show(pager).startswith("PAGED")  # it fits: no pager


def test_a_view_in_a_pipe_or_in_memory_is_never_paged(network, cli, two_requests, monkeypatch):
    monkeypatch.setenv("IMI_PAGER", "false")
    monkeypatch.setenv("LINES", "5")
    assert "Provider check" in cli("ie.handler", "request", "show", two_requests[0]).out
    assert "Provider check" in on_terminal(network, "ie.handler", "request", "show", two_requests[0]).out


def test_the_shell_completes_commands_and_subcommands():
    def complete(words: str) -> list[str]:
        env = {**os.environ, "_IMI_COMPLETE": "complete_bash", "COMP_WORDS": words,
               "COMP_CWORD": str(len(words.split()) - 1)}
        done = subprocess.run([sys.executable, "-c", "import sys; sys.argv[0] = 'imi'; "
                               "from imi_cli.cli.app import run; run()"],
                              capture_output=True, text=True, env=env, timeout=60)
        return done.stdout.split()

    assert complete("imi req") == ["request"]
    assert "show" in complete("imi request sh")
    assert "attachment" not in complete("imi au") and complete("imi au") == ["authority"]


def test_completion_can_be_installed():
    done = subprocess.run([sys.executable, "-c", "import sys; sys.argv[0] = 'imi'; "
                           "from imi_cli.cli.app import run; run()", "--show-completion", "bash"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "_IMI_COMPLETE" in done.stdout and "complete" in done.stdout


def test_verbose_tells_each_step_of_a_sync(cli):
    plain = cli("hu.handler", "sync")
    loud = cli("hu.handler", "--verbose", "sync")
    assert plain.code == loud.code == 0, loud.err
    assert "Syncing with http://127.0.0.1:" in loud.err and "Data-protection clock:" in loud.err
    assert "Syncing with" not in plain.err and "Data-protection clock" not in plain.err
