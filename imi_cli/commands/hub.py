"""`imi hub ...`: init, serve, invite (run where the hub's store is).

A hub keeps its state in a SQLCipher store (``--store``), or in a PostgreSQL database
(``--database URL`` or the setting hub_database) with a key file (``--key-file``, hub_key_file)
and a private replica per process (``--replica-dir``, hub_replica_dir): docs/hub-operations.md."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from imi_cli.cli.environment import state
from imi_cli.cli.options import data_options, store_options
from imi_cli.cli.output import message, print_json
from imi_cli.i18n import _, nt, t

app = typer.Typer(no_args_is_help=True)


def _open_hub(serving: bool = False):
    """The hub of the setting hub_database (PostgreSQL) if set, else of the store (--store);
    ``serving``: its store keeps its key, for the checkpoints' connection (hub/checkpoints.py)."""
    database = _setting("hub_database")
    if database:
        from imi_cli.hub.pg import connect
        from imi_cli.hub.pg.hub import open_hub_pg

        connect.require_psycopg()
        key_file, replicas = _database_paths(None, None)
        with _DatabaseErrors(str(database)):
            return open_hub_pg(str(database), key_file, replicas)
    from imi_cli.hub.state import Hub

    return Hub(state().open_store(keep_key=serving))


def _close_hub(hub) -> None:
    close = getattr(hub, "close", None)
    close() if close is not None else hub.store.close()


DATABASE_HELP = "PostgreSQL URL of the hub's database, e.g. postgresql://imi@db.example/imi [setting hub_database]."
REPLICA_DIR_HELP = "Folder of each hub process's private replica [setting hub_replica_dir]."
KEY_FILE_HELP = "The hub's key file: without it the database cannot be read [setting hub_key_file]."
NEW_KEY_FILE_HELP = ("The hub's key file, made if missing (0600): without it the database cannot be read "
                     "[setting hub_key_file].")


@app.command("init")
@data_options
def init(
    database: Optional[str] = typer.Option(None, "--database", metavar="URL",
                                           help="Create the hub in this empty PostgreSQL database instead."),
    key_file: Optional[Path] = typer.Option(None, "--key-file", help=NEW_KEY_FILE_HELP),
    replica_dir: Optional[Path] = typer.Option(None, "--replica-dir", help=REPLICA_DIR_HELP),
) -> None:
    """Create the hub's encrypted store and the operator's key (the network's trust root)."""
    if database is not None:
        _init_database(database, key_file, replica_dir)
        return
    from imi_cli.hub.state import init_hub
    from imi_cli.log.unlock import passphrase

    s = state()
    hub = init_hub(s.store_path, passphrase(confirm=True))
    key = hub.operator_public_key
    hub.store.close()
    if s.as_json:
        print_json({"store": str(s.store_path), "operator_key": key})
    else:
        message(t("Created hub store {path}\nOperator public key: {key}", path=s.store_path, key=key))


@app.command("serve")
@store_options
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8443, "--port", min=1, max=65535, help="Port to listen on."),
    cert: Optional[Path] = typer.Option(None, "--cert", help="TLS certificate (PEM)."),
    key: Optional[Path] = typer.Option(None, "--key", help="TLS private key (PEM)."),
    insecure: bool = typer.Option(False, "--insecure", help="Allow plain HTTP on a non-loopback address."),
    database: Optional[str] = typer.Option(None, "--database", metavar="URL", help=DATABASE_HELP),
    workers: int = typer.Option(1, "--workers", min=1, max=256,
                                help="Hub processes to run (more than 1 only with --database)."),
    key_file: Optional[Path] = typer.Option(None, "--key-file", help=KEY_FILE_HELP),
    replica_dir: Optional[Path] = typer.Option(None, "--replica-dir", help=REPLICA_DIR_HELP),
) -> None:
    """Serve the hub over HTTPS (plain HTTP only on loopback, or with --insecure). Every minute
    it makes due reminders and applies the retention period (setting hub_retention_days)."""
    import uvicorn

    from imi_cli.errors import UsageError
    from imi_cli.hub.app import create_app

    database = database or _setting("hub_database")  # type: ignore[assignment]
    if workers > 1 and not database:
        raise UsageError(t("{option} needs a PostgreSQL hub database (--database or the setting hub_database)",
                           option="--workers"))
    if bool(cert) != bool(key):
        raise UsageError(msgid="options_go_together", params={"first": "--cert", "second": "--key"})
    loopback = host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")
    if not cert and not loopback and not insecure:
        raise UsageError(msgid="plain_http_refused", params={"host": host},
                         hint=_("give --cert and --key, or --insecure"))
    from imi_cli.hub import housekeeping
    from imi_cli.hub.listen import check_address, check_tls

    if cert and key:
        check_tls(cert, key)
    if database:
        _serve_database(database, key_file, replica_dir, workers, host, port, cert, key)
        return
    hub = _open_hub(serving=True)
    try:
        check_address(host, port)
    except BaseException:
        hub.store.close()
        raise
    housekeeping.tick(hub, state().settings.hub_retention_days)  # what fell due while it was down
    hub.start_checker()  # before the first large push, not during it
    timer = housekeeping.start(hub, state().settings.hub_retention_days)
    scheme = "https" if cert else "http"
    message(t("imi hub listening on {scheme}://{host}:{port}", scheme=scheme, host=host, port=port))

    class Server(uvicorn.Server):
        def handle_exit(self, sig, frame) -> None:  # release long polls at once, then stop
            hub.stop()
            super().handle_exit(sig, frame)

    config = uvicorn.Config(create_app(hub), host=host, port=port, ssl_certfile=str(cert) if cert else None,
                            ssl_keyfile=str(key) if key else None, log_level="warning", access_log=False,
                            timeout_graceful_shutdown=5)
    from imi_cli import i18n

    # The hub speaks English on the wire: a node shows the message ids and parameters it sends
    # in its own user's language. (What it told its operator above was in the operator's.)
    i18n.use("en")  # main() restores the run's language when the server stops
    try:
        Server(config).run()
    finally:
        timer.end()  # (a tick in progress ends first)
        hub.close()  # its helper processes and checkpoints end; the store is closed (a last checkpoint)


def _setting(key: str) -> object:
    """A setting's value, None if not set (or not known to this version)."""
    return state().settings.values.get(key)


def _database_paths(key_file: Optional[Path], replica_dir: Optional[Path]) -> tuple[Path, Path]:
    """--key-file and --replica-dir, else their settings (hub_key_file, hub_replica_dir)."""
    from imi_cli.errors import UsageError

    key_file = key_file or _setting("hub_key_file")  # type: ignore[assignment]
    replica_dir = replica_dir or _setting("hub_replica_dir")  # type: ignore[assignment]
    if key_file is None:
        raise UsageError(msgid="options_go_together", params={"first": "--database", "second": "--key-file"})
    if replica_dir is None:
        from platformdirs import user_data_dir

        replica_dir = Path(user_data_dir("imi", appauthor=False)) / "hub-replicas"
    return Path(key_file), Path(replica_dir)


class _DatabaseErrors:
    """What psycopg raises past the connection (a server gone mid-command, a refused statement)
    becomes one clear message naming the database (password hidden), never a traceback."""

    def __init__(self, url: str) -> None:
        self.url = url

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: Optional[BaseException], tb: object) -> None:
        if exc is None or "psycopg" not in type(exc).__module__:
            return
        from imi_cli.hub.pg.connect import DatabaseUnavailable, shown_url

        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        reason = lines[0] if lines else type(exc).__name__
        from imi_cli.hub.pg.worker import without_password

        secret = without_password(self.url)[1]
        if secret:
            reason = reason.replace(secret, "***")
        raise DatabaseUnavailable(t("cannot connect to the database {url}: {reason}",
                                    url=shown_url(self.url), reason=reason)) from None


def _hub_identity(url: str) -> dict[str, str]:
    """hub_id and key_id from the database's hub_meta."""
    from imi_cli.hub.pg import connect

    conn = connect.connect(url)
    try:
        rows = conn.execute("SELECT key, value FROM hub_meta WHERE key IN ('hub_id', 'key_id')").fetchall()
    finally:
        conn.close()
    return {k: v for k, v in rows}


def _key_file_message(hub_id: str, key_file: Path, key_id: str) -> str:
    return t("Hub id {hub_id}; key file {path} (key id {key_id}). Back the key file up: "
             "without it the database cannot be read.", hub_id=hub_id, path=key_file, key_id=key_id)


def _init_database(database: str, key_file: Optional[Path], replica_dir: Optional[Path]) -> None:
    from imi_cli.hub.pg import connect

    connect.require_psycopg()
    key_path, replicas = _database_paths(key_file, replica_dir)
    with _DatabaseErrors(database):
        from imi_cli.hub.pg.hub import init_hub_pg

        hub = init_hub_pg(database, key_path, replicas)
        try:
            operator_key = hub.operator_public_key
        finally:
            hub.close()
        ident = _hub_identity(database)
    shown = connect.shown_url(database)
    if state().as_json:
        print_json({"database": shown, "hub_id": ident.get("hub_id"), "key_id": ident.get("key_id"),
                    "key_file": str(key_path), "operator_key": operator_key})
        return
    message(t("Created hub store {path}\nOperator public key: {key}", path=shown, key=operator_key))
    message(_key_file_message(ident.get("hub_id", ""), key_path, ident.get("key_id", "")))


def _serve_database(database: str, key_file: Optional[Path], replica_dir: Optional[Path], workers: int,
                    host: str, port: int, cert: Optional[Path], key: Optional[Path]) -> None:
    """`imi hub serve --database`: this process serves (workers=1), or uvicorn runs N worker
    processes on one socket, each with its own hub and replica (imi_cli/hub/pg/worker.py)."""
    import os

    import uvicorn

    from imi_cli import i18n
    from imi_cli.hub.listen import check_address
    from imi_cli.hub.pg import connect, worker

    connect.require_psycopg()
    key_path, replicas = _database_paths(key_file, replica_dir)
    days = state().settings.hub_retention_days
    scheme = "https" if cert else "http"
    tls: dict[str, object] = {"ssl_certfile": str(cert) if cert else None, "ssl_keyfile": str(key) if key else None}
    if workers > 1:
        check_address(host, port)
        with _DatabaseErrors(database):  # a wrong URL or key file is told here, not N times by the workers
            from imi_cli.hub.pg.init import open_database

            conn = open_database(database, key_path)[0]
            conn.close()
        os.environ.update(worker.config_environment(database, key_path, replicas, days))
        message(t("imi hub listening on {scheme}://{host}:{port}", scheme=scheme, host=host, port=port))
        i18n.use("en")
        uvicorn.run("imi_cli.hub.pg.worker:app", factory=True, workers=workers, host=host, port=port,
                    log_level="warning", access_log=False, timeout_graceful_shutdown=5, **tls)  # type: ignore[arg-type]
        return
    from imi_cli.hub.app import create_app

    check_address(host, port)  # before the replica is made or caught up
    with _DatabaseErrors(database):
        hub = worker.open_serving(database, key_path, replicas, days)
    try:
        message(t("imi hub listening on {scheme}://{host}:{port}", scheme=scheme, host=host, port=port))

        class Server(uvicorn.Server):
            def handle_exit(self, sig, frame) -> None:  # release long polls at once, then stop
                hub.stop()
                super().handle_exit(sig, frame)

        config = uvicorn.Config(create_app(hub), host=host, port=port, log_level="warning", access_log=False,
                                timeout_graceful_shutdown=5, **tls)  # type: ignore[arg-type]
        i18n.use("en")  # as for a store: the hub speaks English on the wire
        Server(config).run()
    finally:
        worker.close_serving(hub)


@app.command("migrate")
@data_options
def migrate(
    to: str = typer.Option(..., "--to", metavar="URL", help="The empty PostgreSQL database to move the hub to."),
    key_file: Optional[Path] = typer.Option(None, "--key-file", help=NEW_KEY_FILE_HELP),
) -> None:
    """Move a hub from its SQLCipher store (--store) to PostgreSQL: the same sequence numbers,
    receipts and operator key, so nodes keep syncing. Stop `imi hub serve` first."""
    from imi_cli.hub.pg import connect
    from imi_cli.hub.pg.migrate import migrate_store

    connect.require_psycopg()
    key_path, _replicas = _database_paths(key_file, None)
    s = state()
    store = s.open_store()
    try:
        with _DatabaseErrors(to):
            done = migrate_store(store, to, key_path)
    finally:
        store.close()
    shown = connect.shown_url(to)
    if s.as_json:
        print_json({"store": str(s.store_path), "database": shown, "key_file": str(key_path), **done})
        return
    message(t("Copied the hub store {path} to {url} (last sequence number {seq})", path=s.store_path, url=shown,
              seq=done["last_seq"]))
    message(_key_file_message(done["hub_id"], key_path, done["key_id"]))


@app.command("invite")
@data_options
def invite(
    authority: str = typer.Option(..., "--authority", help="Id of the national coordinator's authority, e.g. HU-NCO."),
    country: str = typer.Option(..., "--country", help="Its country."),
    names: List[str] = typer.Option(..., "--name", help="The authority's name as LANG=TEXT, e.g. "
                                    "hu='IMI Nemzeti Koordinátor'; repeat for more languages."),
    lang: str = typer.Option("en", "--name-lang", hidden=True,
                             help="Deprecated: the language of a --name given without LANG=."),
    languages: str = typer.Option("en", "--languages", help="Working languages, e.g. hu,en (',' or ';' between)."),
    areas: str = typer.Option("professional-qualifications,services", "--areas", help="Areas, ',' or ';' between."),
    email: str = typer.Option(..., "--email", help="The authority's e-mail."),
    user_id: str = typer.Option(..., "--user", help="Id of the coordinator's first user."),
    user_name: str = typer.Option(..., "--user-name", help="That user's name."),
    user_email: str = typer.Option(..., "--user-email", help="That user's e-mail."),
    invites: Optional[Path] = typer.Option(None, "--invites", help="Write the invitation code to this file (0600)."),
    out: Optional[Path] = typer.Option(None, "--out", hidden=True, help="Old name of --invites."),
) -> None:
    """Register a national coordinator and invite its first user (prints a one-time code)."""
    from imi_cli.cli.lists import split_list
    from imi_cli.directory.invitations import coordinator_records, write_code

    invites = _invites_file(invites, out)
    record, user = coordinator_records(authority, country, "", lang, split_list(languages), split_list(areas),
                                       email, user_id, user_name, user_email, names=_names(names, lang))
    hub = _open_hub()
    try:
        code = hub.invite_coordinator(record, user)
    finally:
        _close_hub(hub)
    s = state()
    if invites:
        write_code(invites, user_id, code)
    if s.as_json:
        print_json({"user": user_id, "authority": authority, **({} if invites else {"code": code})})
    elif invites:
        message(t("Invited {user} ({authority}); the code is in {path}", user=user_id, authority=authority,
                  path=invites))
    else:
        message(t("Invited {user} ({authority}). One-time code, valid 14 days:", user=user_id, authority=authority))
        typer.echo(code)


def _names(items: List[str], lang: str) -> dict[str, str]:
    """``--name LANG=TEXT`` as for `imi authority register`; a --name without ``=`` is in the
    language of the deprecated --name-lang (``en`` unless given), as it used to be."""
    from imi_cli.cli.lists import names_by_language

    return {**{lang.strip().lower(): item for item in items if "=" not in item},
            **names_by_language([item for item in items if "=" in item])}


def _invites_file(invites: Optional[Path], out: Optional[Path]) -> Optional[Path]:
    """--invites, or its old name --out (hidden, still working); checked before anything is issued."""
    from imi_cli.cli.output_files import check_output_file
    from imi_cli.errors import UsageError

    if invites and out:
        raise UsageError(t("{new} and {old} are one option ({old} is its old name): give {new} alone",
                           new="--invites", old="--out"))
    path = invites or out
    if path:
        check_output_file(path, "--invites" if invites else "--out", secret=True)
    return path


@app.command("reinvite")
@data_options
def reinvite(
    user_id: str = typer.Argument(..., metavar="ID", help="Id of a registered user."),
    invites: Optional[Path] = typer.Option(None, "--invites", help="Write the invitation code to this file (0600)."),
    out: Optional[Path] = typer.Option(None, "--out", hidden=True, help="Old name of --invites."),
) -> None:
    """Give a registered user a new one-time code: after a lost key, or to lift a revocation
    or a deactivation (enrolling with it replaces the user's key)."""
    from imi_cli.directory.invitations import write_code

    invites = _invites_file(invites, out)
    hub = _open_hub()
    try:
        code = hub.reinvite(user_id)
    finally:
        _close_hub(hub)
    if invites:
        write_code(invites, user_id, code)
    if state().as_json:
        print_json({"user": user_id, **({} if invites else {"code": code})})
    elif invites:
        message(t("Invited {user} again; the code is in {path}", user=user_id, path=invites))
    else:
        message(t("Invited {user} again. One-time code, valid 14 days:", user=user_id))
        typer.echo(code)


@app.command("prune")
@data_options
def prune(
    days: int = typer.Option(..., "--older-than", min=1, max=36500, help="Retention period in days."),
) -> None:
    """Remove exchanges older than the retention period from the hub (directory entries stay)."""
    from imi_cli.hub.retention import prune as do_prune

    hub = _open_hub()
    skipped: list = []
    try:
        removed = do_prune(hub, days, skipped)
    finally:
        _close_hub(hub)
    if state().as_json:
        print_json({"removed": removed, "skipped": skipped})
    else:
        from imi_cli.i18n import formats

        # Translators: {span} is a number of days, written as the language says it ("30 days")
        message(nt("Removed {n} event older than {span}", "Removed {n} events older than {span}", removed,
                   n=formats.number(removed), span=formats.span(days)))
        if skipped:  # ids and error types only: the hub's log says the same
            message(nt("Skipped {n} record that could not be processed: {records}",
                       "Skipped {n} records that could not be processed: {records}", len(skipped),
                       records="; ".join(f"{s['id']} ({s['error']})" for s in skipped)))


@app.command("revoke")
@data_options
def revoke(
    user_id: str = typer.Argument(..., metavar="ID", help="Id of the user whose key is revoked."),
) -> None:
    """Revoke a user's key: the hub refuses its requests and events from now on."""
    hub = _open_hub()
    try:
        seq = hub.revoke(user_id)
    finally:
        _close_hub(hub)
    if state().as_json:
        print_json({"user": user_id, "revoked": True, "seq": seq})
    else:
        message(t("Revoked the key of {user}", user=user_id))
