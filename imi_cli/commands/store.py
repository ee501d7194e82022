"""Top-level store commands: init, unlock, lock; and `imi store status|verify|rebuild`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from imi_cli.cli.environment import state
from imi_cli.cli.options import data_options, store_options
from imi_cli.cli.output import emit, message, print_json
from imi_cli.i18n import N_, _, nt, t

app = typer.Typer(no_args_is_help=True)


@data_options
def init(
    hub: Optional[str] = typer.Option(None, "--hub", help="Hub URL to enrol with; asks for your invitation code."),
    invite: Optional[str] = typer.Option(
        None, "--invite", metavar="-",
        help="`--invite -` reads the invitation code from stdin. A code itself is refused here: "
        "every user of the machine can read a command line."),
    invite_file: Optional[Path] = typer.Option(
        None, "--invite-file", help="Read the invitation code from this file (yours alone, e.g. 0600)."),
    insecure: bool = typer.Option(False, "--insecure", help="Allow plain HTTP to a non-loopback hub."),
) -> None:
    """Create an encrypted store (passphrase asked twice, or IMI_PASSPHRASE); with --hub, make
    your key pair in it and enrol with the hub.

    The one-time invitation code is asked for without echo, or read from stdin (`--invite -`),
    a file (`--invite-file`) or IMI_INVITE; never from the command line, where every user of
    the machine can read it."""
    s = state()
    code = _invitation(hub, invite, invite_file, insecure)  # before anything is made: a bad code leaves nothing
    path = s.store_path
    if s.settings.sources["store"] == "default":  # the user's data folder may not exist yet
        path.parent.mkdir(parents=True, exist_ok=True)
    store = s.open_store(create=True)
    who = _enrol(store, hub, code, insecure) if hub and code else {}
    store.close()
    if s.as_json:
        print_json({"store": str(path), "created": True, **who})
    else:
        message(t("Created encrypted store {path}", path=str(path)))
        if who:
            message(nt("Enrolled as {user} of {authority} with {hub}; pulled {n} event",
                       "Enrolled as {user} of {authority} with {hub}; pulled {n} events", who["pulled"],
                       user=who["user"], authority=who["authority"], hub=who["hub"]))


def _invitation(hub: Optional[str], invite: Optional[str], invite_file: Optional[Path],
                insecure: bool) -> Optional[str]:
    """The invitation code, from `--invite -`, --invite-file, IMI_INVITE or a hidden prompt;
    never from the command line itself (the process list and shell history show it)."""
    import os

    from imi_cli.errors import UsageError
    from imi_cli.sync.enrolment import HOW_TO_PASS, code_from_text, read_code_file
    from imi_cli.sync.hubclient import check_url

    if invite not in (None, "-"):
        raise UsageError(t("an invitation code on the command line can be read by every user of this "
                           "machine (process list, shell history), so it is refused; nothing was created"),
                         hint=t("{how}; if others use this machine, ask for a new code", how=_(HOW_TO_PASS)))
    given = [flag for flag, value in (("--invite", invite), ("--invite-file", invite_file)) if value]
    if len(given) > 1:
        raise UsageError(t("--invite - and --invite-file both give the code; give one of them"))
    if not hub:
        if given:
            raise UsageError(msgid="options_go_together", params={"first": "--hub", "second": given[0]})
        return None
    check_url(hub, insecure=insecure)  # a bad URL is said before the code is asked for
    if invite_file:
        return read_code_file(invite_file)
    if invite == "-":
        return _prompt_for_code() if sys.stdin.isatty() else _code_from_stdin()
    if os.environ.get("IMI_INVITE"):
        return code_from_text(os.environ["IMI_INVITE"], "IMI_INVITE")
    return _prompt_for_code()


def _code_from_stdin() -> str:
    from imi_cli.sync.enrolment import MAX_CODE_TEXT, code_from_bytes

    return code_from_bytes(sys.stdin.buffer.read(MAX_CODE_TEXT + 1), "stdin")


def _prompt_for_code() -> str:
    """Asked on the terminal without echo, as a passphrase is."""
    import getpass

    from imi_cli.errors import UsageError
    from imi_cli.sync.enrolment import NOT_ON_A_TERMINAL, code_from_text

    if not sys.stdin.isatty():
        raise UsageError(t("no invitation code: stdin is not a terminal to ask on; nothing was created"),
                         hint=_(NOT_ON_A_TERMINAL))
    return code_from_text(getpass.getpass(_("Invitation code: ")), "the prompt")


def _enrol(store, hub: str, invite: str, insecure: bool) -> dict:
    from imi_cli.errors import HubUnreachable, Rejected
    from imi_cli.sync.enrolment import client_for, enrol
    from imi_cli.sync.session import sync

    try:
        who = enrol(store, hub, invite, insecure=insecure)
    except BaseException as exc:
        store.close()
        state().store_path.unlink(missing_ok=True)  # a failed enrolment leaves no half-made store
        if isinstance(exc, HubUnreachable) and "outbox" in (exc.hint or ""):
            raise HubUnreachable(exc.message, msgid=exc.msgid, params=exc.params,
                                 hint=t("check the URL and that `imi hub serve` is running; "
                                        "no store was made, so run the same command again")) from None
        if isinstance(exc, Rejected) and exc.reason == "invalid_invitation" and not exc.hint:
            exc.hint = t("if you have not used this code yourself, someone else may have: tell whoever "
                         "invited you (they can revoke that key and give you a new code)")
        raise
    with client_for(store) as client:
        who["pulled"] = sync(store, client).pulled
    return who


@store_options
def unlock(
    ttl: int = typer.Option(None, "--ttl", help="Seconds the unlock lasts (default: unlock_ttl setting)."),
) -> None:
    """Check the passphrase once and cache the store's key for this user's session."""
    from imi_cli.log.unlock import unlock as do_unlock

    s = state()
    seconds = ttl or int(s.settings.unlock_ttl)
    do_unlock(s.store_path, seconds)
    # Translators: {duration} is a span such as "480 minutes" or "1 second"
    message(t("Unlocked {path} for {duration} (`imi lock` ends it)", path=str(s.store_path),
              duration=_duration(seconds)))


def _duration(seconds: int) -> str:
    """'1 second', '90 seconds', '8 minutes': whole minutes when it divides evenly."""
    from imi_cli.i18n import formats

    if seconds % 60 or seconds < 60:
        return nt("{n} second", "{n} seconds", seconds, n=formats.number(seconds))
    minutes = seconds // 60
    return nt("{n} minute", "{n} minutes", minutes, n=formats.number(minutes))


@store_options
def lock() -> None:
    """Forget the cached key: the next command asks for the passphrase again."""
    from imi_cli.log.unlock import forget_key

    s = state()
    was = forget_key(s.store_path)
    message(t("Locked {path}", path=str(s.store_path)) if was
            else t("{path} was not unlocked", path=str(s.store_path)))


@app.command("status")
@data_options
def status() -> None:
    """What the store holds: events, authorities, users, schema version."""
    from imi_cli.log.unlock import cached_key

    s = state()
    with s.open_store() as store:
        q = lambda sql: store.query(sql)[0][0]  # noqa: E731
        info = {"store": str(s.store_path), "schema": q("PRAGMA user_version"),
                "events": q("SELECT count(*) FROM events"),
                "authorities": q("SELECT count(*) FROM authorities"),
                "users": q("SELECT count(*) FROM users"),
                "unlocked": cached_key(s.store_path) is not None}
    rows = [{"k": k, "v": v} for k, v in info.items()]
    if not s.as_json and _on_terminal():  # a person reads words and figures; scripts the keys and raw values
        rows = [{"k": _(STATUS[k]), "v": _status_value(v)} for k, v in info.items()]
    emit(info, as_json=s.as_json, rows=rows, columns=[("k", _("what")), ("v", _("value"))])


# The lines of `imi store status`, as a person reads them (tab-separated output keeps the keys).
STATUS = {"store": N_("store"), "schema": N_("schema version"), "events": N_("events"),
          "authorities": N_("authorities"), "users": N_("users"),
          # Translators: whether the store's key is cached for this session (`imi unlock`)
          "unlocked": N_("unlocked")}


def _status_value(value):
    from imi_cli.i18n import formats

    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return formats.number(value) if isinstance(value, int) else value


def _on_terminal() -> bool:
    from imi_cli.cli.output import for_people

    return for_people()


@app.command("verify")
@data_options
def verify() -> None:
    """Prove the signed log whole: every signature, every disclosure against its digest, every
    receipt of the hub against its key; and say which fields were erased, and when. Exit 1 if
    anything does not hold."""
    from imi_cli.errors import ImiError
    from imi_cli.i18n import formats
    from imi_cli.log.redaction import erased_fields, verify_log

    s = state()
    with s.open_store() as store:
        hub = store.meta("role") == "hub"
        operator = store.meta("operator_key") or ""  # a node's: the hub's public key, pinned at enrolment
        if hub:
            from imi_cli.log.crypto import public_key_of

            operator = public_key_of(operator)  # (a hub's is its private key)
        report = verify_log(store.conn, operator)
        report["erased_fields"] = erased_fields(store.conn)
    if s.as_json:
        print_json(report)
    else:
        message(t("{events} events, {signed} signed; {disclosures} personal fields held, {erased} erased",
                  **{k: formats.number(report[k]) for k in ("events", "signed", "disclosures", "erased")}))
        for row in report["erased_fields"]:
            message("  " + nt("{entity}: {n} field erased at {at}", "{entity}: {n} fields erased at {at}",
                              row["fields"], entity=row["entity"], at=_when(row["erased_at"])))
        if not hub:  # (a hub keeps the receipts it gave, not receipts it was given)
            message(t("receipts of the hub checked: {count}", count=formats.number(report["receipts"])))
    if report["problems"]:
        for problem in report["problems"][:50]:
            # Translators: {problem} is the verifier's own words, in English
            message("  " + t("problem: event {event}: {problem}", event=problem["event"], problem=problem["problem"]))
        raise ImiError(nt("the log does not verify: {n} problem", "the log does not verify: {n} problems",
                          len(report["problems"])))
    if not s.as_json:
        message(_("The log verifies: every signature and every personal field held matches its event"))


def _when(at) -> str:
    """A time of the log in the user's zone and language (a value that is not a time: as it is)."""
    from imi_cli.i18n import formats

    try:
        return formats.datetime(at) if isinstance(at, str) else str(at)
    except ValueError:
        return str(at)


@app.command("rebuild")
@data_options
def rebuild() -> None:
    """Rebuild every projection table from the event log."""
    from imi_cli.commands.sync import say_skipped
    from imi_cli.log.projections import rebuild as do_rebuild

    s = state()
    skipped: list = []
    with s.open_store() as store:
        count = do_rebuild(store, skipped)
    if s.as_json:
        print_json({"replayed": count, **({"skipped": skipped} if skipped else {})})
    else:
        message(nt("Rebuilt the projections from {n} event", "Rebuilt the projections from {n} events", count,
                   n=_number(count)))
        say_skipped(skipped, "log")


def _number(value: int) -> str:
    from imi_cli.i18n import formats

    return formats.number(value)
