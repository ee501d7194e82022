"""A throwaway PostgreSQL server for the tests: its own data folder in a temp dir, on a free
loopback port, trust authentication for the role ``imi``, stopped and removed at the end.

PostgreSQL refuses to run as root; when the tests run as root (CI) the server runs as the
``postgres`` user (``runuser -u postgres``) in a folder that user owns. ``initdb`` and
``pg_ctl`` come from the PATH, else from /usr/lib/postgresql/<version>/bin.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


def _binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if candidates:
        return candidates[-1]
    raise RuntimeError(f"PostgreSQL's {name} is not installed (.ci/run installs it with the system package manager)")


def _free_port() -> int:
    from imi_cli.hub.background import free_port

    return free_port()


@dataclass
class PostgresServer:
    folder: Path
    port: int
    as_user: list[str]

    @property
    def url(self) -> str:
        return f"postgresql://imi@127.0.0.1:{self.port}/postgres"

    def database(self, name: str) -> str:
        """A new empty database on the server; its URL."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://imi@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        subprocess.run([*self.as_user, _binary("pg_ctl"), "-D", str(self.folder / "data"), "stop", "-m", "immediate"],
                       capture_output=True)
        shutil.rmtree(self.folder, ignore_errors=True)


def start() -> PostgresServer:
    folder = Path(tempfile.mkdtemp(prefix="imi-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL will not run as root
        shutil.chown(folder, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    data = folder / "data"
    subprocess.run([*as_user, _binary("initdb"), "-D", str(data), "-A", "trust", "-U", "imi", "--no-sync",
                    "-E", "UTF8", "--locale", "C"], check=True, capture_output=True)
    options = f"-k {folder} -c listen_addresses=127.0.0.1 -p {port} -c fsync=off -c max_connections=200"
    subprocess.run([*as_user, _binary("pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"),
                    "-w", "start"], check=True, capture_output=True)
    return PostgresServer(folder, port, as_user)
