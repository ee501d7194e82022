"""The README's walkthroughs run as written: each ```sh block of a walkthrough section is pasted,
as it stands, into bash (`bash -euo pipefail`, one process per section), in README order, in one
home folder, on a real hub. Only the `PORT=8765` line changes (to a free port). What one section
sets (variables, exports, the folder it moved to) the next one finds, as in one terminal; the
hub the network walkthrough starts serves the sections after it, and is stopped at the end
even when a section fails."""

from __future__ import annotations

import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PASSPHRASE = "a long passphrase"  # what the network walkthrough exports (the first hour reads it too)
PORT_LINE = re.compile(r"^PORT=8765$", re.M)
SECTION_TIMEOUT = 600  # seconds, per section (a loaded machine runs the longest in ~3 min)


@dataclass
class Block:
    heading: str
    line: int  # the README line of the block's first line
    text: str


def sh_blocks() -> list[Block]:
    """Every ```sh block of the README with the heading it stands under."""
    text = README.read_text(encoding="utf-8")
    blocks: list[Block] = []
    heading = ""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#") and re.match(r"^#{1,4} ", line):
            heading = line.lstrip("#").strip()
        elif line.strip() == "```sh":
            end = lines.index("```", i + 1)
            blocks.append(Block(heading, i + 2, "\n".join(lines[i + 1:end]) + "\n"))
            i = end
        i += 1
    return blocks


# Blocks that are not a walkthrough: the installs (this test runs in the installed virtualenv),
# the translators' maintenance commands (they rewrite the catalogs of the checkout), and the
# question-set tools for CI (they read and write a checkout's questionnaires/ and its git
# history: a test of their own runs them in a clone).
QUESTION_SETS = "Question sets in 26 languages"
# The PostgreSQL commands name a database server the reader has: tests/hub/pg/test_hub_cli.py runs
# init, serve and migrate against a real one (tests/pg_server.py).
NOT_WALKTHROUGHS = ("Two commands on a fresh machine", QUESTION_SETS, "The hub on PostgreSQL")
MAINTENANCE = ("imi_cli.i18n.build",)


def walkthroughs() -> list[Block]:
    return [b for b in sh_blocks()
            if b.heading not in NOT_WALKTHROUGHS and not any(m in b.text for m in MAINTENANCE)]


def test_the_walkthroughs_are_found():
    headings = [b.heading for b in walkthroughs()]
    assert headings == [
        "Walkthrough: a coordinator's first hour", "Walkthrough: a network of authorities through a hub",
        "Information requests", "In your language", "Alerts", "Notifications", "TLS", "Repositories",
        "Personal data by the clock"]
    assert len(PORT_LINE.findall(README.read_text(encoding="utf-8"))) == 1  # the one line a test changes


def test_no_block_has_a_placeholder_bash_would_read_as_a_redirection():
    """`--invite <HU code>` is a redirection from a file named `HU` in bash: ids and codes are
    kept in shell variables instead."""
    for block in sh_blocks():
        for number, line in enumerate(block.text.split("\n"), block.line):
            code = re.sub(r"(^|\s)#.*", "", line)  # a comment may say anything
            assert not re.search(r"<[A-Za-z][^<>]*>", code), f"README:{number}: a placeholder: {line.strip()}"
            # and no bare ID/AID/SID/NID standing for an id printed earlier
            assert not re.search(r"(?<![\w$/-])(ID|AID|SID|NID)\b(?!=)", code), f"README:{number}: {line.strip()}"


def _environment(home: Path, runtime: Path) -> dict[str, str]:
    """This machine's environment without its imi settings, locale and virtualenv; HOME in the
    test's folder; the installed virtualenv's bin first on PATH."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("IMI_", "XDG_", "VIRTUAL_ENV", "LC_", "LANG"))}
    env.update(HOME=str(home), IMI_PASSPHRASE=PASSPHRASE, IMI_RUNTIME_DIR=str(runtime), LANG="C.UTF-8",
               PATH=f"{Path(sys.prefix) / 'bin'}{os.pathsep}{env.get('PATH', '')}")
    if "PYTHONPATH" not in env:  # the imi of this checkout, whichever the virtualenv installed
        env["PYTHONPATH"] = str(ROOT)
    return env


def test_the_question_set_commands_run_as_written(tmp_path):
    """From a repository's folder, as the README says: here a clone of this one, whose
    questionnaires/ the commands read (and `import-po` writes), with `origin/main` to compare with."""
    (block,) = [b for b in sh_blocks() if b.heading == QUESTION_SETS]
    clone = tmp_path / "imi-cli"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, capture_output=True)
    has_main = subprocess.run(["git", "-C", str(clone), "rev-parse", "-q", "--verify", "refs/remotes/origin/main"],
                              capture_output=True)
    if has_main.returncode != 0:  # a CI checkout of a branch alone: compare with itself
        subprocess.run(["git", "-C", str(clone), "update-ref", "refs/remotes/origin/main", "HEAD"], check=True)
    (clone / ".venv").mkdir()
    (clone / ".venv" / "bin").symlink_to(Path(sys.prefix) / "bin")
    (tmp_path / "home").mkdir()
    env = _environment(tmp_path / "home", tmp_path / "run")
    env["IMI_QUESTIONNAIRES"] = str(clone / "questionnaires")  # `import-po` writes the clone's, not ours
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", block.text], cwd=clone, env=env,
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=SECTION_TIMEOUT)
    assert result.returncode == 0, f"README:{block.line}:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    assert "pq-verify-qualification" in result.stdout
    assert (clone / "ga.po").is_file()
    assert "unchanged" in result.stderr  # the round trip brought back what it took


def _free_port_pair() -> int:
    """A port p with p and p+1 free: the walkthroughs serve a second hub on $((PORT + 1)). Below
    Linux's ephemeral range (32768-60999), where no outgoing connection of this busy machine
    takes one of them while the walkthroughs run."""
    for port in random.sample(range(20000, 32700), 200):
        try:
            with socket.socket() as a, socket.socket() as b:
                a.bind(("127.0.0.1", port))
                b.bind(("127.0.0.1", port + 1))
        except OSError:
            continue
        return port
    raise AssertionError("no two free consecutive ports on 127.0.0.1")


# Around each section: the shell state the sections before it left (variables, exports, the
# folder), and after it the state it leaves; a section that fails stops where it fails.
_PROLOGUE = """\
__imi_base=" $(compgen -v | tr '\\n' ' ') "
. {state}
set -euo pipefail
"""
_EPILOGUE = """
set +eu
{{ for __imi_v in $(compgen -v); do
    case "$__imi_v" in
      __imi_*|BASH*|PIPESTATUS|FUNCNAME|_|LINENO|SECONDS|RANDOM|SRANDOM|EPOCH*|PPID|SHLVL|HISTCMD|OPTIND|\\
OPTARG|OPTERR|UID|EUID|GROUPS|SHELLOPTS|IFS|PS4|COLUMNS|LINES|DIRSTACK|HOSTNAME|HOSTTYPE|MACHTYPE|OSTYPE|\\
PWD|OLDPWD) continue;;
    esac
    declare -p "$__imi_v"
  done
  printf 'cd %q\\n' "$PWD"
}} > {state}.new && mv {state}.new {state}
"""


def test_the_walkthroughs_run_as_written(tmp_path):
    home = tmp_path / "home"
    repo = home / "imi-cli"  # "run this one from the repository's folder"
    (repo / ".venv").mkdir(parents=True)
    (repo / ".venv" / "bin").symlink_to(Path(sys.prefix) / "bin")
    (repo / "examples").symlink_to(ROOT / "examples")
    port = _free_port_pair()
    state = tmp_path / "state.sh"
    state.write_text(f"cd {repo}\n", encoding="utf-8")
    env = _environment(home, tmp_path / "run")
    groups: list[int] = []
    outputs: dict[str, str] = {}
    timings: list[tuple[str, float]] = []
    try:
        for index, block in enumerate(walkthroughs()):
            text = PORT_LINE.sub(f"PORT={port}", block.text)
            script = tmp_path / f"section-{index}.sh"
            script.write_text(_PROLOGUE.format(state=state) + text + _EPILOGUE.format(state=state),
                              encoding="utf-8")
            out = tmp_path / f"section-{index}.out"
            started = time.monotonic()
            # output to a file, not a pipe: the hub a section leaves in the background holds it open
            with open(out, "wb") as sink:
                process = subprocess.Popen(["bash", str(script)], stdin=subprocess.DEVNULL, stdout=sink,
                                           stderr=subprocess.STDOUT, env=env, start_new_session=True)
                groups.append(process.pid)
                try:
                    code = process.wait(timeout=SECTION_TIMEOUT)
                except subprocess.TimeoutExpired:
                    code = None
            timings.append((block.heading, time.monotonic() - started))
            outputs[block.heading] = out.read_text(encoding="utf-8", errors="replace")
            offset = len(_PROLOGUE.format(state=state).split("\n")) - 1
            assert code == 0, (
                f"README section {block.heading!r} (line {block.line}) "
                + ("timed out" if code is None else f"exited {code}")
                + f" (section line = script line - {offset}):\n{outputs[block.heading][-4000:]}")
    finally:
        for group in groups:
            try:
                os.killpg(group, signal.SIGTERM)
            except ProcessLookupError:
                pass
        print("README walkthroughs, seconds:", ", ".join(f"{h}: {s:.1f}" for h, s in timings))

    # the story happened
    first = outputs["Walkthrough: a coordinator's first hour"]
    assert "Magyar Építész Kamara" in first
    network = outputs["Walkthrough: a network of authorities through a hub"]
    assert "Architect's diploma" in network  # the Hungarian chamber lists the Irish message
    requests = outputs["Information requests"]
    assert "Hiteles-e a képesítés megszerzését tanúsító okirat" in requests  # read in Hungarian
    assert "Is the evidence of formal qualifications issued to Nagy Béla authentic?" in requests
    assert "-> Authentic" in requests  # the Hungarian answer, read in English in Dublin
    language = outputs["In your language"]
    assert "exit 4" in language
    alerts = outputs["Alerts"]
    assert "A szakember neve: [visszatartva]" in alerts  # the incoming-alert coordinator: no name
    assert "A szakember neve: [törölve]" in alerts  # erased 3 days after the restriction ended
    assert "Österreich hat eine ähnliche Regelung geprüft." in outputs["Notifications"]
    repositories = outputs["Repositories"]
    assert "exit 0" in repositories and "exit 1" in repositories
    privacy = outputs["Personal data by the clock"]
    assert "[blocked]" in privacy and "[erased]" in privacy
    assert _freed(port), f"the walkthroughs left a hub listening on port {port}"


def _freed(port: int, wait: float = 10) -> bool:
    """Whether nothing listens on the port any more, within ``wait`` seconds (a stopped hub lets
    go of it in a moment)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q", "-s", "-n0"]))  # -s: one process (pyproject.toml runs workers)
