"""Attacks by another user of the same machine (docs/security.md, "A local user").

1. The invitation code on the command line: whoever reads the process list (or the shell
   history) enrols first, as the victim. The code is read from a hidden prompt, stdin,
   a file of the user's alone or IMI_INVITE; a code given on the command line is refused.
2. Folders and files that hold secrets: the unlock cache under ``$TMPDIR/imi-<uid>``, and
   the files invitation codes are written to (``--invites``, ``--out``). Another user can
   make those names first (a folder, a link); they are used only if they are this user's
   alone, never through a link, and nothing is ``chmod``-ed to make it fit.

Real files, real modes, a real hub on loopback and real ``imi`` processes where a process
is what the attack sees. The hostile folders are made by this same uid with the modes and
links another user would leave (a test cannot be another user); the checks are the ones
that stop another user's folder too (owner, mode, link).
"""

from __future__ import annotations

import ast
import io
import json
import os
import re
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from imi_cli.errors import ExitCode

PASS = "correct horse battery staple"
REPO = Path(__file__).resolve().parents[2]
CODE = re.compile(r"[0-9A-F]{4}(?:-[0-9A-F]{4}){7}")
linux_only = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc and uses the /tmp fallback")


def imi_argv(*args: object) -> list[str]:
    return [sys.executable, "-c", "from imi_cli.cli.app import run; run()", *map(str, args)]


# -- a hub on loopback, with one coordinator to re-invite for each test --------------------
@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    import imi_cli.log.store
    from imi_cli.directory.invitations import coordinator_records
    from imi_cli.hub.background import BackgroundHub
    from imi_cli.hub.state import init_hub

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(imi_cli.log.store, "KDF_ITERATIONS", 2)  # the hub's own store: cheap
        state = init_hub(tmp_path_factory.mktemp("hub") / "hub.db", PASS)
    record, user = coordinator_records("HU-NCO", "HU", "IMI Nemzeti Koordinátor", "hu", "hu;en",
                                       "professional-qualifications", "imi@example.hu", "hu.coord",
                                       "Szabó Éva", "eva@example.hu")
    state.invite_coordinator(record, user)
    with BackgroundHub(state) as served:
        state.url = served.url
        yield state
    state.store.close()


@pytest.fixture
def code(hub) -> str:
    """A fresh one-time code for hu.coord."""
    return hub.reinvite("hu.coord")


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    return {**os.environ, "IMI_PASSPHRASE": PASS, "LANG": "C.UTF-8"}


def enrolled_as(result_err: str) -> bool:
    return "Enrolled as hu.coord of HU-NCO" in result_err


# == 1. the invitation code ================================================================
def test_a_code_on_the_command_line_is_refused_saying_how_to_pass_it(imi, hub, code, tmp_path, monkeypatch):
    monkeypatch.setenv("IMI_PASSPHRASE", PASS)
    store = tmp_path / "node.db"
    result = imi("--store", store, "init", "--hub", hub.url, "--invite", code)
    assert result.code == ExitCode.USAGE
    assert result.err == (
        "imi: error: an invitation code on the command line can be read by every user of this machine "
        "(process list, shell history), so it is refused; nothing was created\n"
        "  hint: type the code at the prompt (leave out --invite), or pass the code with `--invite -` (stdin), "
        "`--invite-file FILE` or IMI_INVITE; if others use this machine, ask for a new code\n")
    assert code not in result.err + result.out
    assert not store.exists()
    assert "--invite CODE" not in imi("init", "--help").out


def _all_command_lines() -> list[bytes]:
    lines = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/cmdline", "rb") as handle:
                    lines.append(handle.read())
            except OSError:  # gone meanwhile
                pass
    return lines


class ProcessListWatcher:
    """What a local user polling the process list sees (every /proc/*/cmdline), in a thread."""

    def __init__(self, secret: str, marker: str) -> None:
        self.secret, self.marker = secret.encode(), marker.encode()
        self.saw_secret = self.saw_marker = False
        self.running = True
        self.thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while self.running:
            for line in _all_command_lines():
                self.saw_secret |= self.secret in line
                self.saw_marker |= self.marker in line

    def __enter__(self) -> ProcessListWatcher:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.running = False
        self.thread.join(10)


@linux_only
def test_the_watcher_sees_what_is_on_a_command_line():
    """The watcher of the next test works: a secret on a command line is seen."""
    secret = "0123-4567-89AB-CDEF-0123-4567-89AB-CDEF"
    with ProcessListWatcher(secret, "never") as watcher:
        subprocess.run([sys.executable, "-c", "import time; time.sleep(0.5)", secret], check=True)
    assert watcher.saw_secret


@linux_only
def test_a_user_polling_the_process_list_never_sees_the_code(hub, code, tmp_path, env):
    store = tmp_path / "victim.db"
    with ProcessListWatcher(code, str(store)) as watcher:
        proc = subprocess.Popen(imi_argv("--store", store, "init", "--hub", hub.url, "--invite", "-"), env=env,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(0.3)  # the watcher has a good look while imi waits for the code
        out, err = proc.communicate(f"{code}\n".encode(), timeout=60)
    assert proc.returncode == 0, err.decode()
    assert enrolled_as(err.decode())
    assert watcher.saw_marker  # it did see the enrolling process
    assert not watcher.saw_secret


# the one place a code is given on a command line: in process, to show it is refused
SHOWS_THE_REFUSAL = "test_a_code_on_the_command_line_is_refused_saying_how_to_pass_it"


def test_no_test_demo_or_example_puts_a_code_on_the_command_line():
    """Every `init ... --invite X` in the tests, the benchmarks, the demo and the README
    passes `-` (stdin): the code itself never reaches a spawned process's argv."""
    offenders = []
    for path in [*REPO.glob("tests/**/*.py"), *REPO.glob("bench/**/*.py"), *REPO.glob("imi_cli/demo/*.py")]:
        offenders += [f"{path.relative_to(REPO)}:{line}" for line in _invite_values(path)]
    from tests.test_docs import README_COMMANDS

    offenders += [f"README.md:{line}" for line, argv in README_COMMANDS
                  for flag, value in zip(argv, argv[1:], strict=False) if flag == "--invite" and value != "-"]
    assert offenders == []


def _invite_values(path: Path) -> list[int]:
    """Lines where "--invite" is followed by anything but "-" in a call or a list of arguments."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    exempt = {id(node) for function in ast.walk(tree)
              if isinstance(function, ast.FunctionDef) and function.name == SHOWS_THE_REFUSAL
              for node in ast.walk(function)}
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.List, ast.Tuple, ast.Call)) and id(node) not in exempt:
            items = node.args if isinstance(node, ast.Call) else node.elts
            pairs = zip(items, items[1:], strict=False)
            lines += [node.lineno for flag, value in pairs if _is(flag, "--invite") and not _is(value, "-")]
    return lines


def _is(node: ast.AST, text: str) -> bool:
    return isinstance(node, ast.Constant) and node.value == text


# -- each way in works ---------------------------------------------------------------------
def test_the_code_from_stdin(hub, code, tmp_path, env):
    result = subprocess.run(imi_argv("--store", tmp_path / "n.db", "init", "--hub", hub.url, "--invite", "-"),
                            env=env, input=f"  {code}\n\n", capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and enrolled_as(result.stderr), result.stderr


def test_the_code_from_the_environment(hub, code, tmp_path, env):
    result = subprocess.run(imi_argv("--store", tmp_path / "n.db", "init", "--hub", hub.url),
                            env={**env, "IMI_INVITE": code}, capture_output=True, text=True,
                            stdin=subprocess.DEVNULL, timeout=60)
    assert result.returncode == 0 and enrolled_as(result.stderr), result.stderr


@pytest.mark.parametrize("content", ["{code}\n", "hu.coord\t{code}\n"], ids=["code", "invites-line"])
def test_the_code_from_a_file_of_ones_own(hub, code, tmp_path, env, content):
    path = tmp_path / "code.txt"
    path.write_text(content.format(code=code))
    path.chmod(0o600)
    result = subprocess.run(imi_argv("--store", tmp_path / "n.db", "init", "--hub", hub.url, "--invite-file", path),
                            env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)
    assert result.returncode == 0 and enrolled_as(result.stderr), result.stderr


@linux_only
def test_the_code_from_a_pipe_as_a_shell_gives_it(hub, code, tmp_path, env):
    """`--invite-file <(pass show imi)`: the shell hands over /dev/fd/N, a pipe behind a link."""
    script = f'{" ".join(map(repr, imi_argv()))} --store "$1" init --hub "$2" --invite-file <(printf %s "$CODE")'
    result = subprocess.run(["bash", "-c", script, "bash", str(tmp_path / "n.db"), hub.url],
                            env={**env, "CODE": code}, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and enrolled_as(result.stderr), result.stderr


@linux_only
def test_the_code_at_a_prompt_is_not_echoed(hub, code, tmp_path, env):
    import pty

    pid, terminal = pty.fork()
    if pid == 0:  # the child: imi on a terminal of its own
        try:
            os.execve(sys.executable, imi_argv("--store", tmp_path / "n.db", "init", "--hub", hub.url), env)
        finally:
            os._exit(127)
    shown = _read_until(terminal, b"Invitation code: ")
    os.write(terminal, f"{code}\n".encode())
    shown += _read_until(terminal, None)
    status = os.waitpid(pid, 0)[1]
    assert os.waitstatus_to_exitcode(status) == 0, shown.decode(errors="replace")
    assert b"Enrolled as hu.coord of HU-NCO" in shown
    assert code.encode() not in shown  # typed without echo


def _read_until(fd: int, marker: bytes | None, timeout: float = 60) -> bytes:
    seen, deadline = b"", time.monotonic() + timeout
    while time.monotonic() < deadline and (marker is None or marker not in seen):
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    return seen


# -- wrong input: a clear message and exit code, no traceback, no store ---------------------
def _stdin(monkeypatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


@pytest.mark.parametrize("data, message", [
    (b"", "no invitation code in stdin; nothing was created"),
    (b"\n  \n", "no invitation code in stdin; nothing was created"),
    (b"AAAA-BBBB\nCCCC-DDDD\n", "stdin holds 2 lines, not one invitation code; nothing was created"),
    (b"\xff\xfe\x00code", "what stdin holds is not an invitation code (not text); nothing was created"),
    (b"<html>AAAA</html>", "what stdin holds is not an invitation code (groups of letters and digits joined "
                           "by dashes); nothing was created"),
    (b"A" * 5000, "stdin holds more than 1024 bytes, not one invitation code; nothing was created"),
], ids=["empty", "blank", "two-lines", "binary", "not-a-code", "too-long"])
def test_no_code_or_not_a_code_on_stdin(imi, hub, tmp_path, monkeypatch, data, message):
    monkeypatch.setenv("IMI_PASSPHRASE", PASS)
    _stdin(monkeypatch, data)
    store = tmp_path / "n.db"
    result = imi("--store", store, "init", "--hub", hub.url, "--invite", "-")
    assert result.code == ExitCode.USAGE
    assert result.err.startswith(f"imi: error: {message}\n  hint: ")
    assert "Traceback" not in result.err and "AAAA" not in result.err
    assert not store.exists()


def test_a_wrong_code_on_stdin_is_refused_by_the_hub(imi, hub, tmp_path, monkeypatch):
    monkeypatch.setenv("IMI_PASSPHRASE", PASS)
    _stdin(monkeypatch, b"0000-1111-2222-3333-4444-5555-6666-7777\n")
    store = tmp_path / "n.db"
    result = imi("--store", store, "init", "--hub", hub.url, "--invite", "-")
    assert result.code == ExitCode.REJECTED
    assert result.err == ("imi: error: the hub refused: the invitation code is unknown, used or expired\n"
                          "  hint: if you have not used this code yourself, someone else may have: tell "
                          "whoever invited you (they can revoke that key and give you a new code)\n")
    assert not store.exists()


def test_the_victim_of_a_stolen_code_is_told_what_it_may_mean(hub, code, tmp_path, env):
    thief = subprocess.run(imi_argv("--store", tmp_path / "thief.db", "init", "--hub", hub.url),
                           env={**env, "IMI_INVITE": code}, capture_output=True, text=True, timeout=60)
    assert thief.returncode == 0, thief.stderr
    victim = subprocess.run(imi_argv("--store", tmp_path / "victim.db", "init", "--hub", hub.url),
                            env={**env, "IMI_INVITE": code}, capture_output=True, text=True, timeout=60)
    assert victim.returncode == ExitCode.REJECTED
    assert "someone else may have: tell whoever invited you" in victim.stderr


def test_no_terminal_and_no_code_says_how_to_give_one(imi, hub, tmp_path, monkeypatch):
    monkeypatch.setenv("IMI_PASSPHRASE", PASS)
    _stdin(monkeypatch, b"")
    result = imi("--store", tmp_path / "n.db", "init", "--hub", hub.url)
    assert result.code == ExitCode.USAGE
    assert result.err == ("imi: error: no invitation code: stdin is not a terminal to ask on; nothing was created\n"
                          "  hint: pass the code with `--invite -` (stdin), `--invite-file FILE` or IMI_INVITE\n")


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604], ids=oct)
def test_a_code_file_others_can_read_is_refused(imi, hub, code, tmp_path, monkeypatch, mode):
    monkeypatch.setenv("IMI_PASSPHRASE", PASS)
    path = tmp_path / "code.txt"
    path.write_text(code)
    path.chmod(mode)
    store = tmp_path / "n.db"
    result = imi("--store", store, "init", "--hub", hub.url, "--invite-file", path)
    assert result.code == ExitCode.USAGE
    assert result.err == (f"imi: error: --invite-file {path} can be used by other users (mode {mode:04o}), so the "
                          "code in it may be known to others; nothing was created\n"
                          f"  hint: `chmod 600 {path}` if only you could read it so far; otherwise ask whoever "
                          "invited you for a new code\n")
    assert not store.exists()


def test_a_missing_code_file_or_a_folder(imi, hub, tmp_path, monkeypatch):
    monkeypatch.setenv("IMI_PASSPHRASE", PASS)
    missing = tmp_path / "nope.txt"
    result = imi("--store", tmp_path / "n.db", "init", "--hub", hub.url, "--invite-file", missing)
    assert (result.code, result.err) == (ExitCode.NOT_FOUND, f"imi: error: --invite-file {missing} does not exist\n")
    result = imi("--store", tmp_path / "n.db", "init", "--hub", hub.url, "--invite-file", tmp_path)
    assert (result.code, result.err) == (
        ExitCode.USAGE, f"imi: error: --invite-file {tmp_path} is a folder, not a file with your invitation code\n")


def test_invite_options_need_a_hub_and_only_one_source(imi, tmp_path, monkeypatch):
    monkeypatch.setenv("IMI_PASSPHRASE", PASS)
    path = tmp_path / "code.txt"
    result = imi("--store", tmp_path / "n.db", "init", "--invite-file", path)
    assert (result.code, result.err) == (ExitCode.USAGE, "imi: error: --hub and --invite-file go together\n")
    result = imi("--store", tmp_path / "n.db", "init", "--hub", "http://127.0.0.1:1", "--invite", "-",
                 "--invite-file", path)
    assert (result.code, result.err) == (
        ExitCode.USAGE, "imi: error: --invite - and --invite-file both give the code; give one of them\n")
    assert not (tmp_path / "n.db").exists()


# == 2. the unlock cache ====================================================================
@pytest.fixture
def store(tmp_path, monkeypatch, imi) -> Path:
    """A store at IMI_STORE, IMI_PASSPHRASE set."""
    path = tmp_path / "store.db"
    monkeypatch.setenv("IMI_STORE", str(path))
    monkeypatch.setenv("IMI_PASSPHRASE", PASS)
    assert imi("init").code == 0
    return path


@pytest.fixture
def tmp_fallback(tmp_path, monkeypatch) -> Path:
    """No runtime folder (a container, a cron job): the cache goes to $TMPDIR/imi-<uid>."""
    import tempfile

    if sys.platform != "linux":
        pytest.skip("the /tmp fallback is Linux's")
    shared = tmp_path / "shared-tmp"
    shared.mkdir()
    shared.chmod(0o1777)  # like /tmp: everyone may make names in it
    monkeypatch.delenv("IMI_RUNTIME_DIR")
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setenv("TMPDIR", str(shared))
    monkeypatch.setattr(tempfile, "tempdir", None)  # gettempdir() reads TMPDIR again
    return shared / f"imi-{os.getuid()}"


def _key_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_the_fallback_folder_is_made_user_only(store, imi, tmp_fallback):
    assert imi("unlock").code == 0
    info = os.lstat(tmp_fallback)
    assert stat.S_ISDIR(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o700
    [name] = _key_files(tmp_fallback)
    assert stat.S_IMODE((tmp_fallback / name).stat().st_mode) == 0o600


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o755], ids=oct)
def test_a_folder_made_first_with_the_wrong_mode_gets_no_key(store, imi, tmp_fallback, monkeypatch, mode):
    tmp_fallback.mkdir()
    tmp_fallback.chmod(mode)
    result = imi("unlock")
    assert result.code == ExitCode.ERROR
    assert result.err == (
        f"imi: error: the key cache folder {tmp_fallback} can be used by other users (mode {mode:04o}), so the "
        "key was not cached there\n"
        f"  hint: if you made it, check what is in it, then `chmod 700 {tmp_fallback}`; or set IMI_RUNTIME_DIR "
        "to a folder only you can use (`mkdir -m 700 DIR`); until then each command asks for the passphrase "
        "(or reads IMI_PASSPHRASE)\n")
    assert _key_files(tmp_fallback) == []
    assert stat.S_IMODE(tmp_fallback.stat().st_mode) == mode  # not chmod-ed to fit
    # the store still opens with the passphrase, saying why nothing is cached; without one: locked
    works = imi("store", "status", "--json")
    assert works.code == 0 and json.loads(works.out)["unlocked"] is False
    assert works.err.startswith(f"imi: warning: the key cache folder {tmp_fallback} can be used by other users")
    assert works.err.count("imi: warning:") == 1
    monkeypatch.delenv("IMI_PASSPHRASE")
    assert imi("store", "status").code == ExitCode.USAGE


def test_a_key_found_in_a_folder_others_can_write_is_not_used(store, imi, tmp_fallback, monkeypatch):
    assert imi("unlock").code == 0
    tmp_fallback.chmod(0o777)  # whoever can write here could have put any file under that name
    monkeypatch.delenv("IMI_PASSPHRASE")
    result = imi("store", "status")
    assert result.code == ExitCode.USAGE and "no passphrase" in result.err
    assert "imi: warning: the key cache folder" in result.err


def test_a_folder_that_is_a_link_gets_no_key_and_its_target_keeps_its_mode(store, imi, tmp_fallback, tmp_path):
    target = tmp_path / "attacker"
    target.mkdir()
    target.chmod(0o777)
    tmp_fallback.symlink_to(target)
    result = imi("unlock")
    assert result.code == ExitCode.ERROR
    assert result.err.startswith(f"imi: error: the key cache folder {tmp_fallback} is a symbolic link, so the "
                                 "key was not cached there\n")
    assert list(target.iterdir()) == []
    assert stat.S_IMODE(target.stat().st_mode) == 0o777


def test_a_temp_file_link_planted_in_the_folder_is_not_followed(store, imi, tmp_fallback, tmp_path):
    """Today's (fixed) name of the temp file, or of the key file, made a link to a file the
    attacker reads: the key is written to a fresh file and renamed over the link."""
    from imi_cli.log.unlock import _cache_file

    tmp_fallback.mkdir(mode=0o700)
    entry = _cache_file(store)
    stolen = {name: tmp_path / f"stolen-{name}" for name in ("tmp", "key")}
    entry.with_suffix(".tmp").symlink_to(stolen["tmp"])
    entry.symlink_to(stolen["key"])
    assert imi("unlock").code == 0
    assert not stolen["tmp"].exists() and not stolen["key"].exists()
    info = os.lstat(entry)
    assert stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o600


def test_lock_removes_a_link_without_following_it(store, imi, tmp_path):
    from imi_cli.log.unlock import _cache_file

    assert imi("unlock").code == 0
    entry = _cache_file(store)
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me")
    entry.unlink()
    entry.symlink_to(precious)
    assert imi("lock").code == 0
    assert not os.path.lexists(entry) and precious.read_text() == "keep me"


# == 2b. files that receive invitation codes =================================================
def test_write_code_makes_a_user_only_file_and_appends(tmp_path):
    from imi_cli.directory.invitations import write_code

    path = tmp_path / "codes.txt"
    write_code(path, "a", "AAAA")
    write_code(path, "b", "BBBB")
    assert path.read_text() == "a\tAAAA\nb\tBBBB\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("mode", [0o644, 0o660, 0o606], ids=oct)
def test_write_code_refuses_a_file_others_can_use(tmp_path, mode):
    from imi_cli.directory.invitations import write_code
    from imi_cli.errors import UsageError

    path = tmp_path / "codes.txt"
    path.write_text("")
    path.chmod(mode)
    with pytest.raises(UsageError, match=rf"^--invites {re.escape(str(path))} can be used by other users "
                                         rf"\(mode {mode:04o}\); invitation codes are written only to a file"):
        write_code(path, "a", "AAAA-BBBB")
    assert path.read_text() == "" and stat.S_IMODE(path.stat().st_mode) == mode


def test_write_code_never_follows_a_link(tmp_path):
    """A link planted after the checks (or in a shared folder): the code does not reach its target."""
    from imi_cli.directory.invitations import write_code
    from imi_cli.errors import UsageError

    stolen, link = tmp_path / "stolen.txt", tmp_path / "codes.txt"
    link.symlink_to(stolen)
    with pytest.raises(UsageError, match=r"is a symbolic link; invitation codes are written only"):
        write_code(link, "a", "AAAA-BBBB")
    assert not stolen.exists()
    stolen.write_text("")
    stolen.chmod(0o600)  # even a user-only target: a link is never followed
    with pytest.raises(UsageError, match=r"is a symbolic link"):
        write_code(link, "a", "AAAA-BBBB")
    assert stolen.read_text() == ""


def test_write_code_does_not_hang_on_a_fifo(tmp_path):
    from imi_cli.directory.invitations import write_code
    from imi_cli.errors import UsageError

    fifo = tmp_path / "codes.txt"
    os.mkfifo(fifo, 0o600)
    outcome: list[BaseException | None] = []

    def write() -> None:
        try:
            write_code(fifo, "a", "AAAA-BBBB")
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 (handed to the test's thread)
            outcome.append(exc)

    threading.Thread(target=write, daemon=True).start()
    deadline = time.monotonic() + 10
    while not outcome and time.monotonic() < deadline:
        time.sleep(0.01)
    if not outcome:  # unblock the writer: a reader at last
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
    assert outcome, "write_code hung on a FIFO"
    assert isinstance(outcome[0], UsageError) and "is not a regular file" in outcome[0].message


@pytest.fixture
def hub_store(tmp_path, monkeypatch, imi) -> Path:
    path = tmp_path / "hub.db"
    monkeypatch.setenv("IMI_PASSPHRASE", PASS)
    assert imi("--store", path, "hub", "init").code == 0
    return path


INVITE = ("hub", "invite", "--authority", "IE-NCO", "--country", "IE", "--name", "NCO", "--email", "imi@example.ie",
          "--user", "ie.coord", "--user-name", "Seán", "--user-email", "s@example.ie")


def test_hub_invite_out_refuses_a_readable_file_or_a_link_before_inviting(imi, hub_store, tmp_path):
    readable = tmp_path / "codes.txt"
    readable.write_text("")
    readable.chmod(0o644)
    result = imi("--store", hub_store, *INVITE, "--out", readable)
    assert result.code == ExitCode.USAGE
    assert result.err == (f"imi: error: --out {readable} can be used by other users (mode 0644); invitation codes "
                          "are written only to a file that is yours alone\n"
                          "  hint: name a new file (it is made 0600), or `chmod 600` a file of yours; never a link\n")
    stolen, link = tmp_path / "stolen.txt", tmp_path / "link.txt"
    link.symlink_to(stolen)
    result = imi("--store", hub_store, *INVITE, "--out", link)
    assert result.code == ExitCode.USAGE and f"--out {link} is a symbolic link" in result.err
    assert not stolen.exists() and readable.read_text() == ""
    good = tmp_path / "good.txt"
    assert imi("--store", hub_store, *INVITE, "--out", good).code == 0  # nothing was invited before
    assert stat.S_IMODE(good.stat().st_mode) == 0o600 and good.read_text().startswith("ie.coord\t")
    result = imi("--store", hub_store, "hub", "reinvite", "ie.coord", "--out", readable)
    assert result.code == ExitCode.USAGE and readable.read_text() == ""


def test_user_add_and_invite_refuse_a_readable_invites_file_and_change_nothing(imi, store, tmp_path):
    readable = tmp_path / "codes.txt"
    readable.write_text("")
    readable.chmod(0o664)
    before = json.loads(imi("store", "status", "--json").out)["events"]
    result = imi("user", "add", "--id", "hu.szabo", "--name", "Szabó Éva", "--email", "eva@example.hu",
                 "--authority", "HU-MEK", "--roles", "administrator", "--invites", readable)
    assert result.code == ExitCode.USAGE
    assert result.err.startswith(f"imi: error: --invites {readable} can be used by other users (mode 0664)")
    assert json.loads(imi("store", "status", "--json").out)["events"] == before
    result = imi("user", "invite", "hu.szabo", "--invites", readable)  # checked before a code is issued
    assert result.code == ExitCode.USAGE
    assert result.err.startswith(f"imi: error: --invites {readable} can be used by other users (mode 0664)")
    assert readable.read_text() == ""
