"""A hub process on PostgreSQL: what `imi hub serve --database` runs, in its own process or, with
``--workers N``, in each of uvicorn's N worker processes (``app`` is uvicorn's factory).

Each process opens the hub with its own replica slot (``open_hub_pg``), runs the housekeeping
timer (only the leader among all processes on the database does the jobs), and serves
``create_app``. The parent passes the configuration in ``IMI_HUB_SERVE_CONFIG`` as JSON: the
database URL without its password, and paths. A password in the URL travels to the workers as
libpq's own ``PGPASSWORD`` instead, so that the JSON holds no secret.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

CONFIG_ENV = "IMI_HUB_SERVE_CONFIG"
_SERVING: dict[int, tuple[Any, Any]] = {}  # id(hub) -> (its timer's stop event, its Leader)
_PASSWORD_PARAM = re.compile(r"(?i)(?:^|&)password=([^&]*)")


def without_password(url: str) -> tuple[str, str | None]:
    """``url`` without its password (in the user part or a ``password=`` parameter), and the password."""
    from urllib.parse import unquote

    parts = urlsplit(url)
    netloc, password = parts.netloc, None
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            user, secret = userinfo.split(":", 1)
            password, netloc = unquote(secret), f"{user}@{host}"
    query = parts.query
    found = _PASSWORD_PARAM.search(query)
    if found:
        password = password or unquote(found.group(1))
        query = _PASSWORD_PARAM.sub("", query).lstrip("&")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment)), password


def config_environment(database: str, key_file: Path, replica_dir: Path,
                       retention_days: int | None) -> dict[str, str]:
    """The environment variables a worker needs: the JSON configuration, and PGPASSWORD if the
    URL carried a password."""
    url, password = without_password(database)
    config = {"database": url, "key_file": str(key_file.resolve()), "replica_dir": str(replica_dir.resolve()),
              "retention_days": retention_days}
    env = {CONFIG_ENV: json.dumps(config)}
    if password is not None:
        env["PGPASSWORD"] = password
    return env


def open_serving(database: str, key_file: Path, replica_dir: Path, retention_days: int | None,
                 slot: int | None = None) -> Any:
    """Open the hub on PostgreSQL in this process and start its housekeeping timer (as a
    candidate leader). Returns the Hub; ``hub.close()`` releases its replica slot."""
    from imi_cli.hub import housekeeping
    from imi_cli.hub.pg import connect
    from imi_cli.hub.pg.hub import open_hub_pg

    hub = open_hub_pg(database, key_file, replica_dir, slot=slot)
    try:
        _test_pause(hub)
        leader = housekeeping.Leader(lambda: connect.connect(database, autocommit=True))
        housekeeping.tick(hub, retention_days, leader)  # what fell due while no hub ran
        _SERVING[id(hub)] = (housekeeping.start(hub, retention_days, leader=leader), leader)
    except BaseException:
        hub.close()
        raise
    return hub


PAUSE_ENV = "IMI_TEST_HUB_PAUSE"  # tests only: "before_commit:MARKER" or "after_commit:MARKER"
PAUSE_MIN_EVENTS = 50  # a push's batch, not a housekeeping or enrolment write


def _test_pause(hub: Any) -> None:
    """For the tests that kill a hub process mid-batch: once a writer scope sequenced a batch
    (at least PAUSE_MIN_EVENTS events), touch MARKER and sleep, just before PostgreSQL's COMMIT
    (``before_commit``) or just after both commits, before the answer (``after_commit``)."""
    spec = os.environ.get(PAUSE_ENV)
    if not spec:
        return
    import time

    when, _, marker = spec.partition(":")
    backend = hub.backend
    flush = backend.flush

    def pause() -> None:
        Path(marker).touch()
        time.sleep(600)

    def flush_then_pause() -> int:
        before = backend.head[0]
        seq = flush()
        if seq - before >= PAUSE_MIN_EVENTS:
            if when == "before_commit":
                pause()
            else:
                def after(_seq: int) -> None:
                    backend.after_commit = None
                    pause()

                backend.after_commit = after
        return seq

    backend.flush = flush_then_pause


def close_serving(hub: Any) -> None:
    """Stop the housekeeping timer, give up its lead, and close the hub."""
    serving = _SERVING.pop(id(hub), None)
    if serving is not None:
        serving[0].set()
        serving[1].close()
    hub.close()


def app() -> Any:
    """uvicorn's factory (``uvicorn.run("imi_cli.hub.pg.worker:app", factory=True, workers=N)``):
    one worker process's hub and its Starlette app."""
    import atexit
    import logging

    from imi_cli import i18n
    from imi_cli.hub.app import create_app

    logging.basicConfig(level=logging.WARNING, format="imi hub worker %(process)d: %(message)s")
    config = json.loads(os.environ[CONFIG_ENV])
    hub = open_serving(config["database"], Path(config["key_file"]), Path(config["replica_dir"]),
                       config.get("retention_days"), config.get("slot"))
    atexit.register(close_serving, hub)
    i18n.use("en")  # the hub speaks English on the wire (as `imi hub serve`)
    return create_app(hub)
