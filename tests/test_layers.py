"""The layers hold: the core never imports the CLI (imi_cli.cli, imi_cli.commands, typer),
so it can be used as a library and tested without it."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "imi_cli"
SHELL = {"cli", "commands"}
# the catalog build tool reads the help texts from the command tree, as the CLI builds it
KNOWN: set[str] = {"i18n/build.py"}
# who may import the hub's package: the hub itself, its commands and the demo (which runs one)
HUB_USERS = {"hub", "commands", "demo"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_core_never_imports_the_cli():
    offenders = {}
    for path in PACKAGE.rglob("*.py"):
        where = path.relative_to(PACKAGE)
        if where.parts[0] in SHELL or where.name == "__main__.py" or str(where) in KNOWN:
            continue
        shell = {name for name in _imports(path)
                 if name.split(".")[0] in ("typer", "click") or name.startswith(("imi_cli.cli", "imi_cli.commands"))}
        if shell:
            offenders[str(where)] = sorted(shell)
    assert offenders == {}


def test_the_client_never_imports_the_server():
    """A node (sync, directory, exchanges, the log) runs without the hub's package: the
    protocol both share lives in imi_cli.protocol."""
    offenders = {str(path.relative_to(PACKAGE)): sorted(n for n in _imports(path) if n.startswith("imi_cli.hub"))
                 for path in PACKAGE.rglob("*.py") if path.relative_to(PACKAGE).parts[0] not in HUB_USERS}
    assert {where: names for where, names in offenders.items() if names} == {}


def test_the_python_api_loads_on_first_use():
    import subprocess
    import sys

    probe = ("import sys, imi_cli\n"
             "assert not [m for m in sys.modules if m.startswith('imi_cli.')], sorted(sys.modules)\n"
             "from imi_cli import Directory, Rejected, Store\n"
             "from imi_cli.directory.authorities import Directory as D\n"
             "assert Directory is D and Rejected.__module__ == 'imi_cli.errors'\n"
             "print(sorted(set(imi_cli.__all__)) == sorted(imi_cli.__all__))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            cwd=PACKAGE.parent)  # -c puts the working folder first: this checkout
    assert (result.returncode, result.stdout, result.stderr) == (0, "True\n", "")


def test_every_name_of_the_python_api_exists():
    import imi_cli

    for name in imi_cli.__all__:
        assert getattr(imi_cli, name) is not None, name
