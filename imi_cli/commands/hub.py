"""`imi hub ...`: init, serve, invite (run where the hub's store is)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from imi_cli.cli.environment import state
from imi_cli.cli.options import data_options, store_options
from imi_cli.cli.output import message, print_json
from imi_cli.i18n import _, nt, t

app = typer.Typer(no_args_is_help=True)


def _open_hub():
    from imi_cli.hub.state import Hub

    return Hub(state().open_store())


@app.command("init")
@data_options
def init() -> None:
    """Create the hub's encrypted store and the operator's key (the network's trust root)."""
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
) -> None:
    """Serve the hub over HTTPS (plain HTTP only on loopback, or with --insecure). Every minute
    it makes due reminders and applies the retention period (setting hub_retention_days)."""
    import uvicorn

    from imi_cli.errors import UsageError
    from imi_cli.hub.app import create_app

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
    hub = _open_hub()
    try:
        check_address(host, port)
    except BaseException:
        hub.store.close()
        raise
    housekeeping.tick(hub, state().settings.hub_retention_days)  # what fell due while it was down
    housekeeping.start(hub, state().settings.hub_retention_days)
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
    Server(config).run()


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
    code = hub.invite_coordinator(record, user)
    hub.store.close()
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
        hub.store.close()
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
        hub.store.close()
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
        hub.store.close()
    if state().as_json:
        print_json({"user": user_id, "revoked": True, "seq": seq})
    else:
        message(t("Revoked the key of {user}", user=user_id))
