"""The documentation holds: every command and option explains itself, `imi --help` lists
what the commands say of themselves, and every `imi ...` line of the README names
commands and options that exist, with values they accept (as sqlite-utils' test_docs)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import typer

from imi_cli.cli.app import app
from imi_cli.commands import COMMANDS

README = Path(__file__).resolve().parents[1] / "README.md"
# commands that print no data, so take no --json
NO_DATA = {"unlock", "lock", "hub serve", "questionnaire export-po", "questionnaire import-po"}


def _root():
    return typer.main.get_command(app)


def _walk(group, prefix: str = ""):
    """(path, command) for every command and group under ``group``, loading each group."""
    ctx = group.make_context("imi", [], resilient_parsing=True)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        path = f"{prefix}{name}"
        yield path, command
        if hasattr(command, "list_commands"):
            yield from _walk(command, f"{path} ")


COMMAND_TREE = list(_walk(_root()))


def test_the_tree_is_complete():
    paths = {path for path, _ in COMMAND_TREE}
    assert set(COMMANDS) <= paths
    assert {"authority show", "request answer", "hub invite", "questionnaire export-po", "country list"} <= paths


@pytest.mark.parametrize("path,command", COMMAND_TREE, ids=[p for p, _ in COMMAND_TREE])
def test_every_command_and_option_has_help(path, command):
    assert (command.help or "").strip(), f"`imi {path}` has no help text"
    for param in command.params:
        assert getattr(param, "help", None), f"`imi {path}`: {param.name} has no help text"


@pytest.mark.parametrize("path,command", COMMAND_TREE, ids=[p for p, _ in COMMAND_TREE])
def test_every_data_command_takes_json_after_the_subcommand(path, command):
    if hasattr(command, "list_commands") or path in NO_DATA:
        return
    assert "--json" in {flag for param in command.params for flag in param.opts}, path


@pytest.mark.parametrize("name", list(COMMANDS))
def test_the_help_line_of_imi_help_is_the_commands_own(name):
    """`imi --help` shows the table's line without loading the module; it must say what the
    command itself says (the first paragraph of its help)."""
    command = dict(COMMAND_TREE)[name]
    first = " ".join((command.help or "").split("\n\n")[0].split())
    assert COMMANDS[name].help == first


def test_imi_help_lists_every_group_without_importing_them(imi):
    import sys

    for name in [m for m in sys.modules if m.startswith("imi_cli.commands.")]:
        del sys.modules[name]
    result = imi("--help")
    assert result.code == 0
    listed = re.findall(r"^  (\S+)\s{2,}(.+)$", result.out.split("Commands:\n", 1)[1], re.M)
    assert [name for name, _ in listed] == list(COMMANDS)
    assert [m for m in sys.modules if m.startswith("imi_cli.commands.")] == []


# -- the README's examples ---------------------------------------------------------------
def _readme_commands() -> list[tuple[int, list[str]]]:
    """(line, argv) for every `imi` invocation in the README's shell blocks."""
    found: list[tuple[int, list[str]]] = []
    text = README.read_text(encoding="utf-8")
    for block in re.finditer(r"```sh\n(.*?)```", text, re.S):
        number = text.count("\n", 0, block.start(1))
        start, pending = 0, ""
        for line in block.group(1).split("\n"):
            number += 1
            start = start if pending else number
            for variable, value in _SAMPLE_VALUES:  # what the walkthroughs' variables hold
                line = line.replace(variable, value)
            if line.rstrip().endswith("\\"):  # a command continued on the next line
                pending += line.rstrip()[:-1] + " "
                continue
            words = shlex.split(pending + line, comments=True)
            pending = ""
            found += [(start, argv) for argv in _invocations(words)]
    return found


# The walkthroughs keep ports, ids and dates in shell variables: a value of each, as it parses
_SAMPLE_VALUES = [("$((PORT + 1))", "8766"), ("$PORT", "8765"), ('"$HUB"', "http://127.0.0.1:8765"),
                  ("$TODAY", "2026-12-01")]


def _invocations(words: list[str]) -> list[list[str]]:
    """The `imi` commands of one shell line: split at && || ; & |, without VAR=value prefixes;
    `VAR=$(imi ...)` is the command inside."""
    out: list[list[str]] = []
    command: list[str] = []
    substituted = False
    for word in [*words, ";"]:
        if not command and re.match(r"^[A-Z_]+=\$\(.", word):  # ID=$(imi ...)
            word, substituted = word.split("$(", 1)[1], True
        if substituted and word.endswith(")"):  # the end of the command inside $( )
            command.append(word[:-1])
            word, substituted = ";", False
        if word in ("&&", "||", ";", "&", "|"):
            rest = [w for w in command if not re.match(r"^[A-Z_]+=", w)]
            if rest and Path(rest[0]).name == "imi":  # also `.venv/bin/imi`
                out.append(_without_redirections(rest[1:]))
            command = []
        else:
            command.append(word)
    return out


def _without_redirections(argv: list[str]) -> list[str]:
    out, skip = [], False
    for word in argv:
        if skip:
            skip = False
        elif word in (">", "<", "2>"):
            skip = True
        elif word.startswith(("<", ">", "2>")):  # <<<"$CODE", >file
            continue
        else:
            out.append(word)
    return out


README_COMMANDS = _readme_commands()


def test_the_readme_has_examples():
    assert len(README_COMMANDS) >= 40


@pytest.mark.parametrize("line,argv", README_COMMANDS, ids=[f"README:{n}" for n, _ in README_COMMANDS])
def test_a_readme_example_parses(line, argv):
    """Each example names existing commands, with options they take and values they accept."""
    import io
    from contextlib import redirect_stdout

    group = _root()
    try:
        with redirect_stdout(io.StringIO()):  # an example of --help prints the help of what it names
            ctx = group.make_context("imi", list(argv))
            args = [*ctx._protected_args, *ctx.args]
            while hasattr(group, "list_commands"):
                assert args, f"README:{line}: `imi {' '.join(argv)}` names no command"
                name, command, rest = group.resolve_command(ctx, args)
                ctx = command.make_context(name, rest, parent=ctx)
                group, args = command, [*getattr(ctx, "_protected_args", []), *ctx.args]
    except typer.Exit:
        assert "--help" in argv, f"README:{line}: `imi {' '.join(argv)}` stopped"
        return
    assert not args, f"README:{line}: extra arguments {args}"
