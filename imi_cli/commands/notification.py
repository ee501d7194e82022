"""`imi notification ...`: a member state tells the Commission and the other member states
of a new requirement or a new diploma; national coordinators disseminate it; every holder
comments, each in its own language; the Commission examines within the declared period."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from imi_cli.cli.environment import state
from imi_cli.cli.options import data_options, listing_options, writing_options
from imi_cli.cli.output import emit, message, page, print_json
from imi_cli.commands.alert import columns, on_terminal
from imi_cli.i18n import N_, _, nt, t

app = typer.Typer(no_args_is_help=True)
LIST = [
    # Translators: a heading of `imi notification list` and `search`: the notification's id
    ("id", N_("notification")),
    # Translators: a heading of `imi notification list` and `search`: its state (draft, broadcast, ...)
    ("state", N_("state")),
    # Translators: a heading of `imi notification list` and `search`: the notifying country
    ("country", N_("from")),
    # Translators: a heading of `imi notification list` and `search`: its title
    ("title", N_("about")),
    # Translators: a heading of `imi notification list` and `search`: the day it was broadcast
    ("broadcast_at", N_("broadcast on")),
    # Translators: a heading of `imi notification list` and `search`: days left in the examination period
    ("days_left", N_("days left")),
    # Translators: a heading of `imi notification list` and `search`: how many comments it has
    ("comments", N_("comments")),
    # Translators: a heading of `imi notification list` and `search`: what your authority does next
    ("to_do", N_("to do")),
]
STATS_COLUMNS = [
    # Translators: a heading of `imi notification stats` and `imi stats`: the kind of notification
    ("kind", N_("kind")),
    # Translators: a heading of `imi notification stats` and `imi stats`: the notifying country
    ("country", N_("country")),
    # Translators: a heading of `imi notification stats` and `imi stats`: the legislative area
    ("area", N_("area")),
    # Translators: a heading of `imi notification stats` and `imi stats`: how many notifications
    ("notifications", N_("notifications")),
    # Translators: a heading of `imi notification stats` and `imi stats`: how many comments
    ("comments", N_("comments")),
    # Translators: a heading of `imi notification stats` and `imi stats`: how many were closed
    ("closed", N_("closed")),
]
QUEUED = {
    "broadcast": N_("Broadcast notification {id} (queued: `imi sync` takes it to the hub)"),
    "disseminate": N_("Disseminated notification {id} (queued: `imi sync` takes it to the hub)"),
    "comment": N_("Commented on notification {id} (queued: `imi sync` takes it to the hub)"),
    "modify": N_("Modified notification {id} (queued: `imi sync` takes it to the hub)"),
    "withdraw": N_("Withdrew notification {id} (queued: `imi sync` takes it to the hub)"),
    "close": N_("Closed notification {id} (queued: `imi sync` takes it to the hub)"),
}


def _notifications(store):
    from imi_cli.exchanges.notifications.service import Notifications

    return Notifications(store)


def _full(store, ident: str) -> str:
    """The whole id that ``ident`` is or starts (``imi_cli.cli.ids``)."""
    from imi_cli.cli.ids import full_id

    return full_id(store.conn, "notification", ident)


def _do(step: str, ident: str, call) -> None:
    with state().open_store() as store:
        ident = _full(store, ident)
        call(_notifications(store), ident)
    message(t(QUEUED[step], id=ident))


def _shown(row: dict) -> dict:
    """A row of `imi notification list` as a person reads it: the state, dates and numbers in
    the interface language."""
    from imi_cli.exchanges.notifications.labels import state_label
    from imi_cli.i18n import formats

    return {**row, "state": state_label(row["state"]),
            "broadcast_at": formats.date(row["broadcast_at"]) if row.get("broadcast_at") else "",
            "days_left": formats.number(row["days_left"]) if isinstance(row.get("days_left"), int) else "",
            "comments": formats.number(row["comments"]) if isinstance(row.get("comments"), int) else "",
            "to_do": _(row["to_do"]) if row.get("to_do") else ""}


def _listing(rows: list, as_json: bool, conn) -> None:
    from imi_cli.commands.request import _emit, short_ids

    people = on_terminal(as_json)
    _emit([_shown(r) for r in short_ids(conn, "notification", rows)] if people else rows, as_json, columns(LIST))


def shown_stats(rows: list) -> list:
    """The figures of `imi notification stats` as a person reads them (numbers in the interface language)."""
    from imi_cli.i18n import formats

    return [{**r, **{k: formats.number(r[k]) for k in ("notifications", "comments", "closed")
                     if isinstance(r.get(k), int)}} for r in rows]


def _answers(answers: List[str], file: Optional[Path], kind: str) -> dict:
    from imi_cli.commands.alert import _answers as collect

    return collect(answers, file, kind)


@app.command("new")
@writing_options
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
        raise UsageError(t("--kind {kind!r} is not a kind of notification ({kinds})", kind=kind,
                           kinds=", ".join(sorted(declared))))
    s = state()
    values = _answers(answers, file, kind)
    with s.open_store() as store:
        ident = _notifications(store).new(kind=kind, answers=values, lang=s.written_language)
    print_json({"id": ident, "state": "draft"}) if s.as_json else typer.echo(ident)


@app.command("broadcast")
@data_options
def broadcast(ident: str = typer.Argument(..., metavar="ID", help="Notification id.")) -> None:
    """Send a draft to the European Commission and every member state's national coordinator."""
    _do("broadcast", ident, lambda n, ident: n.broadcast(ident))


@app.command("disseminate")
@data_options
def disseminate(ident: str = typer.Argument(..., metavar="ID", help="Notification id."),
                to: str = typer.Option(..., "--to", help="Authorities of your country competent in the area, "
                                                         "','-separated.")) -> None:
    """National coordinators: pass a notification to the competent authorities of your country."""
    _do("disseminate", ident,
        lambda n, ident: n.disseminate(ident, [name.strip() for name in to.split(",") if name.strip()]))


@app.command("comment")
@writing_options
def comment(ident: str = typer.Argument(..., metavar="ID", help="Notification id."),
            text: str = typer.Argument(..., metavar="TEXT", help="Your comment (tagged with your language).")) -> None:
    """Comment: the notifying state, the Commission and every recipient read it."""
    s = state()
    _do("comment", ident, lambda n, ident: n.comment(ident, text, s.written_language))


@app.command("modify")
@writing_options
def modify(ident: str = typer.Argument(..., metavar="ID", help="Notification id."),
           answers: List[str] = typer.Option([], "--answer", help="QUESTION=VALUE to change.")) -> None:
    """The notifying authority: change a notification (also after closure); recipients see what changed."""
    s = state()
    with s.open_store() as store:
        ident = _full(store, ident)
        notifications = _notifications(store)
        kind = notifications.get(ident)["kind"]
        notifications.modify(ident, _answers(answers, None, kind), s.written_language)
    message(t(QUEUED["modify"], id=ident))


@app.command("withdraw")
@data_options
def withdraw(ident: str = typer.Argument(..., metavar="ID", help="Notification id."),
             reason: str = typer.Option(..., "--reason", help="Why.")) -> None:
    """The notifying authority: withdraw a notification."""
    _do("withdraw", ident, lambda n, ident: n.withdraw(ident, reason))


@app.command("close")
@writing_options
def close(ident: str = typer.Argument(..., metavar="ID", help="Notification id."),
          decision: str = typer.Option(..., "--decision", help="A code of the kind's closing decisions "
                                                               "(listed at the end of `imi questionnaire show KIND`)."),
          text: Optional[str] = typer.Option(None, "--text", help="The decision's reasons (tagged with your "
                                                                  "language).")) -> None:
    """The Commission or the notifying authority: close it with a decision."""
    s = state()
    _do("close", ident, lambda n, ident: n.close(ident, decision, s.written_language, text))


def _me(store) -> tuple[str, Optional[str]]:
    from imi_cli.commands.request import _authority

    me = _authority(store)
    row = store.conn.execute("SELECT country FROM authorities WHERE id = ?", (me,)).fetchone()
    return me, (row[0] if row else None)


@app.command("list")
@listing_options
def list_(state_: Optional[str] = typer.Option(None, "--state", help="draft, broadcast, withdrawn or closed.")
          ) -> None:
    """Notifications your authority made or was sent, the most recently active first."""
    from imi_cli.exchanges.notifications.views import search

    s = state()
    with s.open_store() as store:
        rows = search(store.conn, _me(store)[0], s.lang, state=state_)
        _listing(rows, s.as_json, store.conn)


@app.command("search")
@listing_options
def search_(country: Optional[str] = typer.Option(None, "--country", help="Notifying country."),
            area: Optional[str] = typer.Option(None, "--area", help="Legislative area."),
            kind: Optional[str] = typer.Option(None, "--kind", help="Kind (question set id)."),
            state_: Optional[str] = typer.Option(None, "--state", help="draft, broadcast, withdrawn or closed."),
            text: Optional[str] = typer.Option(None, "--text", help="Words in its answers or comments."),
            since: Optional[str] = typer.Option(None, "--from", help="Broadcast on or after, YYYY-MM-DD."),
            until: Optional[str] = typer.Option(None, "--to", help="Broadcast on or before, YYYY-MM-DD.")) -> None:
    """Find notifications by country, area, kind, state, words and date."""
    from imi_cli.exchanges.notifications.views import search

    s = state()
    with s.open_store() as store:
        rows = search(store.conn, _me(store)[0], s.lang, country=country, area=area, kind=kind, state=state_,
                      text=text, since=since, until=until)
        _listing(rows, s.as_json, store.conn)


@app.command("show")
@data_options
def show(ident: str = typer.Argument(..., metavar="ID", help="Notification id.")) -> None:
    """A notification in your language: its fields (what changed), comments, decision, the clock."""
    from imi_cli.exchanges.notifications.render import as_text, notification_view

    s = state()
    with s.open_store() as store:
        ident = _full(store, ident)
        me, country = _me(store)
        view = notification_view(_notifications(store).get(ident), s.lang, me, country)
        from imi_cli.privacy import access

        access.record(store, "notification.show", entity=f"notification/{ident}")
    print_json(view) if s.as_json else page(as_text(view))


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
        message(nt("Wrote {n} notification to {path}", "Wrote {n} notifications to {path}", len(rows),
                   path=output))


@app.command("stats")
@listing_options
def stats() -> None:
    """Per kind, notifying country and area: notifications, comments, closed."""
    from imi_cli.exchanges.notifications.views import stats as figures

    s = state()
    with s.open_store() as store:
        rows = figures(store.conn)
    emit(rows, as_json=s.as_json, rows=shown_stats(rows) if on_terminal(s.as_json) else rows,
         columns=columns(STATS_COLUMNS))
