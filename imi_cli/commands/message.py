"""`imi message send|list`: a message from this authority to another, and nobody else."""

from __future__ import annotations

import typer

from imi_cli.cli.environment import state
from imi_cli.cli.options import listing_options, writing_options
from imi_cli.cli.output import emit, print_json
from imi_cli.cli.output import message as say
from imi_cli.i18n import N_, _, t

app = typer.Typer(no_args_is_help=True)


@app.command("send")
@writing_options
def send(
    to: str = typer.Option(..., "--to", help="Id of the receiving authority."),
    subject: str = typer.Option(..., "--subject", help="Subject line."),
    text: str = typer.Argument(..., metavar="TEXT", help="The message."),
) -> None:
    """Send a message (it leaves with the next `imi sync`)."""
    from imi_cli.exchanges.messages import get
    from imi_cli.exchanges.messages import send as do_send

    s = state()
    with s.open_store() as store:
        ident = do_send(store, to, subject, text, s.written_language)
        sent = get(store, ident)
    if s.as_json:  # the message as `message list --json` shows it, and that it waits for `imi sync`
        print_json({**(sent or {"id": ident, "to": to, "subject": subject}), "state": "queued"})
    else:
        say(t("Message {id} queued for {to} (`imi sync` takes it to the hub)", id=ident, to=to))


@app.command("list")
@listing_options
def list_() -> None:
    """Messages this authority sent or received."""
    from imi_cli.cli.output import for_people
    from imi_cli.exchanges.messages import inbox

    s = state()
    with s.open_store() as store:
        rows = inbox(store)
    shown = rows
    if not s.as_json and for_people():  # for a person: times in the user's zone, the language of each
        shown = [_for_people(row, s.lang) for row in rows]
    emit(rows, as_json=s.as_json, rows=shown, columns=[(key, _(heading)) for key, heading in COLUMNS])


# (key, heading): the headings are translated where the table is drawn
COLUMNS = [("at", N_("at")), ("from", N_("from")), ("to", N_("to")), ("subject", N_("subject")), ("text", N_("text"))]


def _for_people(row: dict, viewer: str) -> dict:
    """A message's row on a terminal: its time in the user's zone and language, its subject and
    text tagged with the language they are written in when it is not the reader's."""
    from imi_cli.i18n import formats

    out = dict(row)
    if isinstance(row.get("at"), str):
        try:
            out["at"] = formats.datetime(row["at"], "short")
        except ValueError:  # a value that is not a time is shown as it is
            pass
    tag = formats.language_tag(row.get("lang") if isinstance(row.get("lang"), str) else None, viewer)
    if tag and isinstance(row.get("subject"), str):
        out["subject"] = row["subject"] + tag
    return out
