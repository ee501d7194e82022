"""Help a person can use: `-h` as well as `--help` everywhere, arguments shown as ID, FILE,
TEXT (never a `{rid}` placeholder), and every command's help ending with examples that are
real command lines: each is parsed against the command tree, so none can name a command or
option that is gone, or leave out a required option."""

from __future__ import annotations

import json
import re
import shlex

import pytest
import typer

from imi_cli.cli.app import app
from imi_cli.cli.examples import EXAMPLES, wrapped


def _tree() -> list[tuple[str, object, bool]]:
    """(path, command, is_group) for every group and command, the root first (path ""),
    walked as imi_cli.i18n.build walks it for extraction."""
    found: list[tuple[str, object, bool]] = []

    def walk(command, path: str) -> None:
        subcommands = getattr(command, "commands", None)
        found.append((path, command, subcommands is not None))
        for name in list(subcommands or {}):
            walk(subcommands[name], f"{path} {name}".strip())

    walk(typer.main.get_command(app), "")
    return found


TREE = _tree()
DICT = {path: command for path, command, _ in TREE}
COMMANDS = {path: command for path, command, group in TREE if not group}
PATHS = [path for path, _, _ in TREE]
ARGUMENT_NAMES = {"ID", "FILE", "PATH...", "TEXT", "NUMBER", "KIND/ID", "NAME"}


def parse(example: str) -> tuple[str, list[str]]:
    """The command path an example line runs (``request show``) and what is wrong with it: it
    must be `imi` and a command of the tree, with options that command (or `imi` itself, before
    it) takes, every required one given, and values the options accept."""
    words = shlex.split(example.replace("\\\n", " "))
    if not words or words[0] != "imi":
        return "", [f"{example!r} does not start with `imi`"]
    command = typer.main.get_command(app)
    path: list[str] = []
    try:
        ctx = command.make_context("imi", words[1:])
        args = [*ctx._protected_args, *ctx.args]
        while hasattr(command, "list_commands"):
            if not args:
                return " ".join(path), [f"{example!r} names no command under `imi {' '.join(path)}`"]
            name, command, rest = command.resolve_command(ctx, args)
            path.append(name)
            ctx = command.make_context(name, rest, parent=ctx)
            args = [*getattr(ctx, "_protected_args", []), *ctx.args]
    except typer.Exit:
        return " ".join(path), [f"{example!r} stops before running (it asks for help)"]
    except Exception as exc:  # noqa: BLE001 -- any parse error is the finding
        return " ".join(path), [f"{example!r}: {type(exc).__name__}: {getattr(exc, 'message', exc)}"]
    problems = [f"{example!r}: extra arguments {args}"] if args else []
    # each --option after the command's name is one of the command's own
    own = {name for param in command.params for name in (*param.opts, *param.secondary_opts)}
    for word in words[words.index(path[-1], 1) + 1:]:
        option = word.split("=", 1)[0]
        if option.startswith("-") and option != "-" and option not in own:
            problems.append(f"{example!r}: `imi {' '.join(path)}` has no option {option}")
    return " ".join(path), problems


def test_the_checker_finds_what_rots():
    """The rule that keeps examples honest, broken on purpose: a misspelt command, an option
    the command lacks, a required option left out and a value the option refuses are found."""
    assert parse("imi request show 0194c2d1 --lang hu") == ("request show", [])
    assert parse("imi --store hub.db hub serve --port 8765") == ("hub serve", [])
    for wrong in ("imi request shwo 0194c2d1", "imi request show 0194c2d1 --nope",
                  "imi request close 0194c2d1 --timeliness 5",  # --quality is required
                  "imi request close 0194c2d1 --timeliness soon --quality 4",  # not a number
                  "imi request show", "imi request show 0194c2d1 extra", "imi request",
                  "imi request show 0194c2d1 --help", "request show 0194c2d1"):
        assert parse(wrong)[1], wrong


def test_every_command_has_an_example_and_every_example_a_command():
    assert set(EXAMPLES) == set(COMMANDS), (
        f"commands without examples: {sorted(set(COMMANDS) - set(EXAMPLES))}; "
        f"examples of no command: {sorted(set(EXAMPLES) - set(COMMANDS))}")
    assert all(1 <= len(lines) <= 2 for lines in EXAMPLES.values())


@pytest.mark.parametrize("path", sorted(EXAMPLES))
def test_each_example_is_a_command_line_of_its_command(path):
    for line in EXAMPLES[path]:
        assert parse(line) == (path, [])
        assert not re.search(r"[<>{}|;&]|\b(ID|FILE|TEXT|NAME)\b|\.\.\.", line.replace('"hu;en"', "").replace(
            '"administrator;request_handler"', "")), f"{line!r} has a placeholder or shell syntax"


@pytest.mark.parametrize("path", PATHS, ids=[p or "imi" for p in PATHS])
def test_h_is_help_on_every_command_and_group(imi, path):
    short, long = imi(*path.split(), "-h"), imi(*path.split(), "--help")
    assert (short.code, long.code) == (0, 0), short.err
    assert short.out == long.out
    assert short.out.startswith(f"Usage: imi {path}".rstrip() + " ")
    assert re.search(r"^  -h, --help\s+Show this message and exit\.$", short.out, re.M)


@pytest.mark.parametrize("path", sorted(COMMANDS))
def test_help_ends_with_the_examples(imi, path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")  # help is 78 columns wide, indented 2
    out = imi(*path.split(), "--help").out
    lines = EXAMPLES[path]
    heading = "Example:" if len(lines) == 1 else "Examples:"
    shown = "\n".join("  " + piece for line in lines for piece in wrapped(line, 76))
    assert out.endswith(f"\n\n{heading}\n{shown}\n"), out
    assert all(len(piece) <= 78 for piece in shown.split("\n")), shown
    # what is shown, continuation lines and all, is the examples themselves to a shell
    assert shlex.split(shown.replace("\\\n", " ")) == [w for line in lines for w in shlex.split(line)]


@pytest.mark.parametrize("path", PATHS, ids=[p or "imi" for p in PATHS])
def test_help_has_no_placeholders_and_names_arguments_plainly(imi, path):
    text = imi(*path.split(), "--help").out
    assert not re.search(r"\{[^}\s]*\}", text), f"`imi {path}` help has a placeholder:\n{text}"
    usage = text.split("\n", 1)[0]
    arguments = text.split("\nArguments:\n", 1)[1].split("\n\n", 1)[0] if "\nArguments:\n" in text else ""
    named = {line.split()[0] for line in arguments.split("\n") if line.startswith("  ") and line[2] != " "}
    for word in [*usage.split("[OPTIONS]", 1)[-1].split(), *named]:
        assert re.fullmatch(r"\[?[A-Z/]+(\.\.\.)?\]?(\.\.\.)?", word), f"`imi {path}`: {word} in\n{text}"
    for param in DICT[path].params:
        if param.param_type_name == "argument":
            assert param.metavar in ARGUMENT_NAMES, f"`imi {path}`: argument {param.name} shows as {param.metavar}"


def test_usage_shows_a_required_argument_bare_and_an_optional_one_in_brackets(imi):
    assert imi("request", "show", "-h").out.startswith("Usage: imi request show [OPTIONS] ID\n")
    assert imi("request", "more", "-h").out.startswith("Usage: imi request more [OPTIONS] ID TEXT\n")
    assert imi("authority", "search", "-h").out.startswith("Usage: imi authority search [OPTIONS] [TEXT]\n")
    assert imi("questionnaire", "validate", "-h").out.startswith(
        "Usage: imi questionnaire validate [OPTIONS] [PATH...]\n")
    result = imi("request", "show")
    assert result.code == 2 and "Missing argument 'ID'" in result.err and "{" not in result.err


def test_help_still_speaks_the_language_around_examples_kept_as_typed(imi):
    from imi_cli.i18n import catalog

    hu = catalog("hu")
    out = imi("--lang", "hu", "request", "show", "-h").out
    assert out.startswith(hu.gettext("Usage: ")) and hu.gettext("Usage: ") != "Usage: "
    assert hu.gettext("Show this message and exit.") in out
    assert hu.gettext("Request id.") in out and hu.gettext("Request id.") != "Request id."
    assert out.endswith("  imi request show 0194c2d1\n  imi request show 0194c2d1 --lang hu\n")
    assert imi("--lang", "hu", "request", "-h").out == imi("--lang", "hu", "request", "--help").out != ""


# -- `request new` takes its area from the question set ----------------------------------
NEW = ("request", "new", "--to", "HU-AUTH", "--questionnaire", "services-verify-provider",
       "--questions", "legally_established", "--deadline", "2099-01-31", "--subject", "Provider check",
       "--person", "provider_name=Nagy Kft.")


def test_request_new_takes_the_area_of_the_question_set(network, cli):
    result = cli("ie.handler", *NEW)
    assert result.code == 0, result.err
    rid = result.out.strip()
    view = json.loads(cli("ie.handler", "--json", "request", "show", rid).out)
    assert view["area"] == "services"


def _requests(cli) -> int:
    return len(json.loads(cli("ie.handler", "--json", "request", "list", "--all").out))


def test_request_new_without_area_still_refuses_what_is_wrong(network, cli):
    before = _requests(cli)
    result = cli("ie.handler", *[w if w != "services-verify-provider" else "no-such-set" for w in NEW])
    assert result.code == 4 and "no question set 'no-such-set'" in result.err
    # a set of one area asked for in another: the set's own area is the only one it takes
    result = cli("ie.handler", *NEW, "--area", "professional-qualifications")
    assert result.code == 5 and "services-verify-provider belongs to services, not professional-qualifications" \
        in result.err
    assert _requests(cli) == before
