"""A throwaway PostgreSQL server for the tests: its own data folder in a temp dir, on a free
loopback port, trust authentication for the role ``imi``, stopped and removed at the end.

PostgreSQL refuses to run as root; when the tests run as root (CI) the server runs as the
``postgres`` user (``runuser -u postgres``) in a folder that user owns. ``initdb`` and
``pg_ctl`` come from the PATH, else from /usr/lib/postgresql/<version>/bin.

When ``IMI_TEST_PG`` is set (``.ci/run`` starts one server for the whole run and sets it),
``server()`` uses that server instead: only ``database(name)`` creates databases on it, and
``stop()`` leaves it alone.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ENVIRONMENT = "IMI_TEST_PG"


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
    folder: Path | None  # None: a server this module did not start (IMI_TEST_PG)
    port: int
    as_user: list[str]
    external_url: str | None = None

    @property
    def url(self) -> str:
        return self.external_url or f"postgresql://imi@127.0.0.1:{self.port}/postgres"

    def url_of(self, name: str) -> str:
        """The URL of database ``name`` on this server."""
        return urlsplit(self.url)._replace(path=f"/{name}").geturl()

    def database(self, name: str) -> str:
        """A new empty database on the server; its URL."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url_of(name)

    def drop(self, name: str) -> None:
        """Drop database ``name`` (closing its connections), if it is there."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self.folder is None:  # not ours to stop
            return
        subprocess.run([*self.as_user, _binary("pg_ctl"), "-D", str(self.folder / "data"), "stop", "-m", "immediate"],
                       capture_output=True)
        shutil.rmtree(self.folder, ignore_errors=True)


def server() -> PostgresServer:
    """The server of IMI_TEST_PG if it is set, else a new one (``start``)."""
    url = os.environ.get(ENVIRONMENT)
    if url:
        return PostgresServer(None, urlsplit(url).port or 5432, [], url)
    return start()


def start() -> PostgresServer:
    folder = Path(tempfile.mkdtemp(prefix="imi-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL will not run as root
        shutil.chown(folder, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    data = folder / "data"
    try:
        subprocess.run([*as_user, _binary("initdb"), "-D", str(data), "-A", "trust", "-U", "imi", "--no-sync",
                        "-E", "UTF8", "--locale", "C"], check=True, capture_output=True)
        options = f"-k {folder} -c listen_addresses=127.0.0.1 -p {port} -c fsync=off -c max_connections=200"
        subprocess.run([*as_user, _binary("pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"),
                        "-w", "start"], check=True, capture_output=True)
    except subprocess.CalledProcessError as exc:
        log = folder / "log"
        detail = (exc.stderr or b"").decode(errors="replace")
        detail += log.read_text(errors="replace") if log.exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start: {detail.strip()}") from None
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return PostgresServer(folder, port, as_user)
