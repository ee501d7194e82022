"""`imi notification ...`: a member state tells the Commission and the other member states
of a new requirement or a new diploma; national coordinators disseminate it; every holder
comments, each in its own language; the Commission examines within the declared period."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from imi_cli.cli.environment import state
from imi_cli.cli.options import data_options
from imi_cli.cli.output import emit, message, print_json

app = typer.Typer(no_args_is_help=True)
LIST = [("id", "notification"), ("state", "state"), ("country", "from"), ("title", "about"),
        ("broadcast_at", "broadcast"), ("days_left", "days left"), ("comments", "comments"), ("to_do", "to do")]
STATS_COLUMNS = [("kind", "kind"), ("country", "country"), ("area", "area"), ("notifications", "notifications"),
                 ("comments", "comments"), ("closed", "closed")]


def _notifications(store):
    from imi_cli.exchanges.notifications.service import Notifications

    return Notifications(store)


def _do(verb: str, ident: str, call) -> None:
    with state().open_store() as store:
        call(_notifications(store))
    message(f"{verb} notification {ident} (queued: `imi sync` takes it to the hub)")


def _answers(answers: List[str], file: Optional[Path], kind: str) -> dict:
    from imi_cli.commands.alert import _answers as collect

    return collect(answers, file, kind)


@app.command("new")
@data_options
def new(kind: str = typer.Option(..., "--kind", help="A notification question set: services-notification (Art. "
                                                    "15(7)), services-notification-39-5, pq-diploma-notification."),
        answers: List[str] = typer.Option([], "--answer", help="QUESTION=VALUE (`imi questionnaire show KIND`)."),
        file: Optional[Path] = typer.Option(None, "--answers-file", help="A YAML or JSON mapping question -> value.")
        ) -> None:
    """Draft a notification (it goes out with `imi notification broadcast`)."""
    from imi_cli.errors import UsageError
    from imi_cli.exchanges.notifications.kinds import kinds

    declared = kinds()
    if kind not in declared:
        raise UsageError(f"--kind {kind!r} is not a kind of notification ({', '.join(sorted(declared))})")
    s = state()
    values = _answers(answers, file, kind)
    with s.open_store() as store:
        ident = _notifications(store).new(kind=kind, answers=values, lang=s.lang)
    print_json({"id": ident, "state": "draft"}) if s.as_json else typer.echo(ident)


@app.command("broadcast")
@data_options
def broadcast(ident: str = typer.Argument(..., help="Notification id.")) -> None:
    """Send a draft to the European Commission and every member state's national coordinator."""
    _do("Broadcast", ident, lambda n: n.broadcast(ident))


@app.command("disseminate")
@data_options
def disseminate(ident: str = typer.Argument(..., help="Notification id."),
                to: str = typer.Option(..., "--to", help="Authorities of your country competent in the area, "
                                                         "','-separated.")) -> None:
    """National coordinators: pass a notification to the competent authorities of your country."""
    _do("Disseminated", ident, lambda n: n.disseminate(ident, [t.strip() for t in to.split(",") if t.strip()]))


@app.command("comment")
@data_options
def comment(ident: str = typer.Argument(..., help="Notification id."),
            text: str = typer.Argument(..., help="Your comment (tagged with your language).")) -> None:
    """Comment: the notifying state, the Commission and every recipient read it."""
    s = state()
    _do("Commented on", ident, lambda n: n.comment(ident, text, s.lang))


@app.command("modify")
@data_options
def modify(ident: str = typer.Argument(..., help="Notification id."),
           answers: List[str] = typer.Option([], "--answer", help="QUESTION=VALUE to change.")) -> None:
    """The notifying authority: change a notification (also after closure); recipients see what changed."""
    s = state()
    with s.open_store() as store:
        notifications = _notifications(store)
        kind = notifications.get(ident)["kind"]
        notifications.modify(ident, _answers(answers, None, kind), s.lang)
    message(f"Modified notification {ident} (queued: `imi sync` takes it to the hub)")


@app.command("withdraw")
@data_options
def withdraw(ident: str = typer.Argument(..., help="Notification id."),
             reason: str = typer.Option(..., "--reason", help="Why.")) -> None:
    """The notifying authority: withdraw a notification."""
    _do("Withdrew", ident, lambda n: n.withdraw(ident, reason))


@app.command("close")
@data_options
def close(ident: str = typer.Argument(..., help="Notification id."),
          decision: str = typer.Option(..., "--decision", help="A code of the kind's closing decisions "
                                                               "(listed at the end of `imi questionnaire show KIND`)."),
          text: Optional[str] = typer.Option(None, "--text", help="The decision's reasons (tagged with your "
                                                                  "language).")) -> None:
    """The Commission or the notifying authority: close it with a decision."""
    s = state()
    _do("Closed", ident, lambda n: n.close(ident, decision, s.lang, text))


def _me(store) -> tuple[str, Optional[str]]:
    from imi_cli.commands.request import _authority

    me = _authority(store)
    row = store.conn.execute("SELECT country FROM authorities WHERE id = ?", (me,)).fetchone()
    return me, (row[0] if row else None)


@app.command("list")
@data_options
def list_(state_: Optional[str] = typer.Option(None, "--state", help="draft, broadcast, withdrawn or closed.")
          ) -> None:
    """Notifications your authority made or was sent, the most recently active first."""
    from imi_cli.commands.request import _emit
    from imi_cli.exchanges.notifications.views import search

    s = state()
    with s.open_store() as store:
        rows = search(store.conn, _me(store)[0], s.lang, state=state_)
    _emit(rows, s.as_json, LIST)


@app.command("search")
@data_options
def search_(country: Optional[str] = typer.Option(None, "--country", help="Notifying country."),
            area: Optional[str] = typer.Option(None, "--area", help="Legislative area."),
            kind: Optional[str] = typer.Option(None, "--kind", help="Kind (question set id)."),
            state_: Optional[str] = typer.Option(None, "--state", help="draft, broadcast, withdrawn or closed."),
            text: Optional[str] = typer.Option(None, "--text", help="Words in its answers or comments."),
            since: Optional[str] = typer.Option(None, "--from", help="Broadcast on or after, YYYY-MM-DD."),
            until: Optional[str] = typer.Option(None, "--to", help="Broadcast on or before, YYYY-MM-DD.")) -> None:
    """Find notifications by country, area, kind, state, words and date."""
    from imi_cli.commands.request import _emit
    from imi_cli.exchanges.notifications.views import search

    s = state()
    with s.open_store() as store:
        rows = search(store.conn, _me(store)[0], s.lang, country=country, area=area, kind=kind, state=state_,
                      text=text, since=since, until=until)
    _emit(rows, s.as_json, LIST)


@app.command("show")
@data_options
def show(ident: str = typer.Argument(..., help="Notification id.")) -> None:
    """A notification in your language: its fields (what changed), comments, decision, the clock."""
    from imi_cli.exchanges.notifications.render import as_text, notification_view

    s = state()
    with s.open_store() as store:
        me, country = _me(store)
        view = notification_view(_notifications(store).get(ident), s.lang, me, country)
        from imi_cli.privacy import access

        access.record(store, "notification.show", entity=f"notification/{ident}")
    print_json(view) if s.as_json else typer.echo(as_text(view), nl=False)


@app.command("export")
@data_options
def export(output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write to this file (default: "
                                                                              "standard output).")) -> None:
    """Every notification this store holds, in your language, as JSON."""
    from imi_cli.cli.output import to_json
    from imi_cli.errors import ImiError
    from imi_cli.exchanges.notifications.projection import load
    from imi_cli.exchanges.notifications.render import notification_view

    s = state()
    with s.open_store() as store:
        me, country = _me(store)
        rows = []
        for (ident,) in store.conn.execute("SELECT id FROM notifications ORDER BY last_activity DESC, id").fetchall():
            n = load(store.conn, ident)
            if n is None:
                continue
            try:
                rows.append(notification_view(n, s.lang, me, country))
            except (ImiError, KeyError, TypeError, ValueError) as bad:  # one odd record never stops the export
                rows.append({"id": ident, "problem": f"it cannot be shown ({type(bad).__name__})"})
        if rows:
            from imi_cli.privacy import access

            access.record(store, "notification.export", entities=[f"notification/{r['id']}" for r in rows][:1000])
    text = to_json(rows)
    if output is None:
        typer.echo(text, nl=False)
    else:
        from imi_cli.cli.output_files import write_output

        write_output(output, text, "-o", private=True)  # comments and contacts may name people
        message(f"Wrote {len(rows)} notification(s) to {output}")


@app.command("stats")
@data_options
def stats() -> None:
    """Per kind, notifying country and area: notifications, comments, closed."""
    from imi_cli.exchanges.notifications.views import stats as figures

    s = state()
    with s.open_store() as store:
        rows = figures(store.conn)
    emit(rows, as_json=s.as_json, columns=STATS_COLUMNS)
