"""`imi message send|list`: a message from this authority to another, and nobody else."""

from __future__ import annotations

import typer

from imi_cli.cli.environment import state
from imi_cli.cli.options import data_options
from imi_cli.cli.output import emit, print_json
from imi_cli.cli.output import message as say

app = typer.Typer(no_args_is_help=True)


@app.command("send")
@data_options
def send(
    to: str = typer.Option(..., "--to", help="Id of the receiving authority."),
    subject: str = typer.Option(..., "--subject", help="Subject line."),
    text: str = typer.Argument(..., help="The message."),
) -> None:
    """Send a message (it leaves with the next `imi sync`)."""
    from imi_cli.exchanges.messages import send as do_send

    s = state()
    with s.open_store() as store:
        ident = do_send(store, to, subject, text, s.lang)
    if s.as_json:
        print_json({"id": ident, "to": to, "subject": subject})
    else:
        say(f"Message {ident} queued for {to} (`imi sync` takes it to the hub)")


@app.command("list")
@data_options
def list_() -> None:
    """Messages this authority sent or received."""
    from imi_cli.exchanges.messages import inbox

    s = state()
    with s.open_store() as store:
        rows = inbox(store)
    emit(rows, as_json=s.as_json, columns=[("at", "at"), ("from", "from"), ("to", "to"),
                                           ("subject", "subject"), ("text", "text")])
