"""`imi user ...`: add, update, import, list, show, deactivate, remove, invite."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, List, Optional

import typer

from imi_cli.cli.environment import state
from imi_cli.cli.file_options import import_file_options
from imi_cli.cli.options import data_options, listing_options
from imi_cli.cli.output import emit, message, print_json, progress_bar
from imi_cli.commands.authority import report_import
from imi_cli.i18n import N_, _, t

if TYPE_CHECKING:
    from imi_cli.bulk.readers import FileReading

app = typer.Typer(no_args_is_help=True)
WITHHELD = N_("[withheld]")
COLUMNS = [("id", N_("id")), ("name", N_("name")), ("email", N_("e-mail")), ("authority", N_("authority")),
           ("roles", N_("roles"))]


def _row(user: dict) -> dict:
    roles = [f"{area}:{role}" if area != "*" else role
             for area, roles in user["roles"].items() for role in roles]
    # the minimal directory: another authority's user is known by id, authority and key only
    withheld = {k: _(WITHHELD) for k in ("name", "email") if k not in user}
    return {**user, **withheld, "roles": roles}


@app.command("import")
@data_options
@import_file_options
def import_(
    file: Path = typer.Argument(..., metavar="FILE", help="CSV, YAML or JSON file of users."),
    fmt: Optional[str] = typer.Option(None, "--format", help="csv, yaml or json (default: by extension)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check and report; write nothing."),
    invites: Optional[Path] = typer.Option(None, "--invites", help="Write new users' invitation codes here (0600)."),
    prune: bool = typer.Option(False, "--prune", help="Deactivate the users you manage that the file leaves out "
                               "(see `imi user deactivate`)."),
    *, reading: FileReading,
) -> None:
    """Register or update many users from a file: all or nothing, idempotent.
    On a store enrolled with a hub, each new user gets a one-time invitation code.

    It names the ids created, updated, unchanged, and those left out of the file (users of the
    authorities you manage, yourself excepted; every user, in a store not enrolled)."""
    from imi_cli.directory.users import Users

    _check_invites(invites)
    with state().open_store() as store, progress_bar(_("Importing users")) as progress:
        report = Users(store).import_file(file, fmt, dry_run=dry_run, progress=progress, reading=reading, prune=prune)
    _hand_out(report, invites)
    report_import(report, "users")


def _check_invites(invites: Optional[Path]) -> None:
    from imi_cli.cli.output_files import check_output_file

    if invites:
        check_output_file(invites, "--invites", secret=True)


def _hand_out(report, invites: Optional[Path]) -> None:
    """Invitation codes go to a user-only file, or to stdout (never to a log)."""
    from imi_cli.directory.invitations import write_code

    if invites:
        for user_id, code in report.invitations.items():
            write_code(invites, user_id, code)
        report.invitations = {}
    elif report.invitations and not state().as_json:
        from imi_cli.cli.output import message

        message(_("One-time invitation codes (user, code), valid 14 days; give each to its user only:"))
        for user_id, code in report.invitations.items():
            typer.echo(f"{user_id}\t{code}")  # stdout stays user<TAB>code, for scripts


@app.command("add")
@data_options
def add(
    ident: str = typer.Option(..., "--id", help="User id."),
    name: str = typer.Option(..., "--name", help="Full name."),
    email: str = typer.Option(..., "--email", help="E-mail."),
    authority: str = typer.Option(..., "--authority", help="Id of the user's authority."),
    roles: str = typer.Option(..., "--roles", help="Roles, ',' or ';' between: role (all areas) or area:role, "
                              "e.g. administrator,request_handler."),
    invites: Optional[Path] = typer.Option(None, "--invites", help="Write the invitation code here (0600)."),
) -> None:
    """Register one new user; on an enrolled store, prints their one-time invitation code.
    A user registered already with other fields is refused: `imi user update` changes those."""
    from imi_cli.cli.lists import split_list
    from imi_cli.directory.users import Users

    raw = {"id": ident, "name": name, "email": email, "authority": authority, "roles": split_list(roles)}
    _check_invites(invites)
    with state().open_store() as store:
        report = Users(store).register([(f"--id {ident}", raw)], source="imi user add", new_only=True)
    _hand_out(report, invites)
    report_import(report, "user")


@app.command("update")
@data_options
def update(
    ident: str = typer.Argument(..., metavar="ID", help="User id."),
    name: Optional[str] = typer.Option(None, "--name", help="Full name."),
    email: Optional[str] = typer.Option(None, "--email", help="E-mail."),
    authority: Optional[str] = typer.Option(None, "--authority", help="Move the user to this authority "
                                            "(you need the right over both)."),
    roles: Optional[str] = typer.Option(None, "--roles", help="Roles that replace the user's, ',' or ';' between: "
                                        "role (all areas) or area:role."),
    add_roles: List[str] = typer.Option([], "--add-role", help="A role to add (role or area:role); repeat."),
    remove_roles: List[str] = typer.Option([], "--remove-role", help="A role to take away; repeat."),
) -> None:
    """Change only what you give; the rest of the user's entry stays as it is."""
    from imi_cli.cli.lists import split_list
    from imi_cli.directory.users import Users

    changes = {"name": name, "email": email, "authority": authority, "add_roles": add_roles,
               "remove_roles": remove_roles, "roles": split_list(roles) if roles is not None else None}
    with state().open_store() as store:
        report = Users(store).update(ident, changes, source=f"imi user update {ident}")
    if state().as_json:
        print_json(report.as_dict())
    else:
        message(t("Updated {id} (queued: `imi sync` takes it to every store)", id=ident) if report.changed
                else t("{id}: nothing to change", id=ident))


@app.command("deactivate")
@data_options
def deactivate(ident: str = typer.Argument(..., metavar="ID", help="User id.")) -> None:
    """Deactivate a user (a coordinator above their authority, or its administrator, does):
    their key is revoked, so the hub refuses what they sign, and their unused invitation codes
    no longer enrol. Their directory entry stays. The exchanges they worked on belong to their
    authority and stay with it; a request allocated to them can be allocated to a colleague
    (`imi request allocate ID --to USER`). To let them back in, the hub's operator issues a new
    code (`imi hub reinvite USER`; `imi user invite` for a user who never enrolled).
    `imi user remove` also erases their name and e-mail."""
    from imi_cli.directory.users import Users

    with state().open_store() as store:
        done = Users(store).deactivate(ident)
    if state().as_json:
        print_json({"user": ident, "deactivated": done})
    elif done:
        message(t("Deactivated {id}: their key is revoked and their unused invitation codes are void; their "
                  "authority's exchanges stay with it (`imi request allocate ID --to USER` hands on a request "
                  "allocated to them). Queued: `imi sync` takes it to every store", id=ident))
    else:
        message(t("{id} is deactivated already", id=ident))


@app.command("list")
@listing_options
def list_(authority: Optional[str] = typer.Option(None, "--authority", help="Only this authority's users.")) -> None:
    """Users in the directory."""
    from imi_cli.directory.users import Users

    s = state()
    with s.open_store() as store:
        users = Users(store).list(authority)
    from imi_cli.directory.render import headings

    emit(users, as_json=s.as_json, rows=[_row(u) for u in users], columns=headings(COLUMNS))


@app.command("show")
@data_options
def show(ident: str = typer.Argument(..., metavar="ID", help="User id.")) -> None:
    """One user."""
    from imi_cli.directory.users import Users

    s = state()
    with s.open_store() as store:
        user = Users(store).get(ident)
    if s.as_json:
        print_json(user)
    else:
        from imi_cli.directory.render import headings

        row = _row(user)
        emit([], as_json=False, rows=[{"k": heading, "v": row[k]} for k, heading in headings(COLUMNS)],
             columns=[("k", ""), ("v", "")])


@app.command("remove")
@data_options
def remove(ident: str = typer.Argument(..., metavar="ID", help="User id.")) -> None:
    """A user who leaves: removed from the directory everywhere, the key revoked, the name and
    e-mail erased (the signed events they made stay, and verify). The exchanges they worked on
    belong to their authority and stay with it; a request allocated to them can be allocated to
    a colleague (`imi request allocate ID --to USER`). `imi user deactivate` keeps the entry."""
    from imi_cli.cli.output import message
    from imi_cli.directory.users import Users

    with state().open_store() as store:
        Users(store).leave(ident)
    message(t("Removed {id}: their key is revoked, their name and e-mail erased; their authority's exchanges "
              "stay with it. Queued: `imi sync` takes it to every store", id=ident))


@app.command("invite")
@data_options
def invite(
    ident: str = typer.Argument(..., metavar="ID", help="User id."),
    invites: Optional[Path] = typer.Option(None, "--invites", help="Write the code here (0600) instead of stdout."),
) -> None:
    """Issue a new one-time invitation code for a registered user (it leaves with `imi sync`)."""
    from imi_cli.directory.authorities import ImportReport
    from imi_cli.directory.users import Users

    _check_invites(invites)  # before the code is issued: a refused file leaves nothing half-done
    with state().open_store() as store:
        code = Users(store).invite(ident)
    report = ImportReport(invitations={ident: code})
    if state().as_json:
        print_json({"user": ident, **({} if invites else {"code": code})})
        if not invites:
            return
    _hand_out(report, invites)
