"""`imi request ...`, `imi inbox`, `imi stats`: information requests through their whole life."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import List, Optional

import typer

from imi_cli.cli.environment import state
from imi_cli.cli.options import data_options, listing_options, writing_options
from imi_cli.cli.output import emit, message, page, print_json
from imi_cli.commands import attachment
from imi_cli.i18n import N_, _, nt, t

app = typer.Typer(no_args_is_help=True)
app.add_typer(attachment.app, name="attachment")
# (key, heading): the headings are translated where the table is drawn
LIST = [("id", N_("request")), ("direction", N_("in/out")), ("state", N_("state")), ("requester", N_("from")),
        ("responder", N_("to")), ("subject", N_("subject")), ("deadline", N_("deadline")),
        ("days_left", N_("time left"))]
INBOX = [("id", N_("id")), ("action", N_("to do")), ("flag", ""), ("subject", N_("subject")),
         ("deadline", N_("deadline")), ("days_left", N_("time left")), ("reminders", N_("reminders"))]
STATS = [("area", N_("area")), ("authority", N_("authority")), ("received", N_("received")),
         # Translators: a column of statistics: the share of requests accepted within 7 days
         ("accepted_within_7_days_pct", N_("accepted ≤7d %")), ("average_days_to_answer", N_("days to answer")),
         # Translators: a column of statistics: the share of requests answered by their deadline
         ("answered_by_deadline_pct", N_("by deadline %")), ("rating_timeliness", N_("timeliness")),
         ("rating_quality", N_("quality"))]
DIRECTIONS = {"incoming": N_("incoming"), "outgoing": N_("outgoing"), "coordinated": N_("coordinated")}


def _requests(store):
    from imi_cli.exchanges.requests.service import Requests

    return Requests(store)


def _pairs(items: List[str], option: str) -> dict:
    from imi_cli.errors import UsageError

    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise UsageError(msgid="option_needs_pairs", params={"option": option, "value": item, "form": "KEY=VALUE"})
        out[key.strip()] = value
    return out


def _do(done: str, rid: str, call) -> None:
    """Take a step: ``call(requests, rid)`` with the whole id ``rid`` starts (a unique prefix
    will do); ``done`` is the N_-marked sentence that says so (with ``{id}``)."""
    with state().open_store() as store:
        rid = _full(store, rid)
        call(_requests(store), rid)
    message(t(done, id=rid))


def _full(store, rid: str) -> str:
    from imi_cli.cli.ids import full_id

    return full_id(store.conn, "request", rid)


@app.command("new")
@writing_options
def new(
    area: Optional[str] = typer.Option(None, "--area", help="Legislative area (default: the question set's)."),
    to: Optional[str] = typer.Option(None, "--to", help="Id of the responding authority (with --about-alert: "
                                                        "the alert's sender, the default)."),
    questionnaire: str = typer.Option(..., "--questionnaire", help="Question set id."),
    questions: Optional[str] = typer.Option(None, "--questions", help="Question ids, ','-separated (default: all)."),
    deadline: str = typer.Option(..., "--deadline", help="Requested deadline, YYYY-MM-DD."),
    subject: str = typer.Option(..., "--subject", help="Subject line."),
    person: List[str] = typer.Option([], "--person", help=(
        "About the person concerned, KEY=VALUE (personal data). profession= takes a code each side reads in its "
        "own language (doctor, nurse, dentist, veterinary-surgeon, midwife, pharmacist, architect) or free text.")),
    comment: Optional[str] = typer.Option(None, "--comment", help="A free-text comment (tagged with your language)."),
    attach: List[Path] = typer.Option([], "--attach", help="A file to attach (stored encrypted)."),
    about_alert: Optional[str] = typer.Option(None, "--about-alert", help="Follow up an alert you received: the "
                                                                          "request goes to its sender."),
) -> None:
    """Draft a request from a question set (it is sent with `imi request send`)."""
    s = state()
    with s.open_store() as store:
        area = area or _requests(store).catalogs.latest(questionnaire).area  # a question set has one area
        rid = _requests(store).new(area=area, to=to, questionnaire=questionnaire,
                                   questions=[q.strip() for q in questions.split(",")] if questions else None,
                                   deadline=deadline, subject=subject, person=_pairs(person, "--person"),
                                   comment=comment, lang=s.written_language, attachments=attach,
                                   about_alert=about_alert)
    print_json({"id": rid, "state": "draft"}) if s.as_json else typer.echo(rid)


@app.command("approve")
@data_options
def approve(rid: str = typer.Argument(..., metavar="ID", help="Request id.")) -> None:
    """Approve a draft (supervisor or coordinator), where the authority requires it."""
    _do(N_("Approved {id} (queued: `imi sync` takes it to the hub)"), rid, lambda r, rid: r.approve(rid))


@app.command("send")
@data_options
def send(rid: str = typer.Argument(..., metavar="ID", help="Request id.")) -> None:
    """Send a draft to the responding authority."""
    _do(N_("Sent {id} (queued: `imi sync` takes it to the hub)"), rid, lambda r, rid: r.send(rid))


@app.command("accept")
@data_options
def accept(rid: str = typer.Argument(..., metavar="ID", help="Request id."),
           propose_deadline: Optional[str] = typer.Option(None, "--propose-deadline",
                                                          help="Another deadline, YYYY-MM-DD.")) -> None:
    """Accept an incoming request (taking its deadline, or proposing another)."""
    _do(N_("Accepted {id} (queued: `imi sync` takes it to the hub)"), rid,
        lambda r, rid: r.accept(rid, propose_deadline))


@app.command("agree-deadline")
@data_options
def agree_deadline(rid: str = typer.Argument(..., metavar="ID", help="Request id."),
                   refuse: bool = typer.Option(False, "--refuse", help="Keep the original deadline.")) -> None:
    """Agree (or not) to the deadline the responder proposed."""
    _do(N_("Answered the proposal for {id} (queued: `imi sync` takes it to the hub)"), rid,
        lambda r, rid: r.agree_deadline(rid, not refuse))


@app.command("forward")
@data_options
def forward(rid: str = typer.Argument(..., metavar="ID", help="Request id."),
            to: str = typer.Option(..., "--to", help="A more competent authority, or your coordinator.")) -> None:
    """Forward an incoming request before accepting it; your access ends there."""
    _do(N_("Forwarded {id} (queued: `imi sync` takes it to the hub)"), rid, lambda r, rid: r.forward(rid, to))


@app.command("reassign")
@data_options
def reassign(rid: str = typer.Argument(..., metavar="ID", help="Request id."),
             to: str = typer.Option(..., "--to", help="The authority that should answer.")) -> None:
    """Coordinators: move a request to another authority."""
    _do(N_("Reassigned {id} (queued: `imi sync` takes it to the hub)"), rid,
        lambda r, rid: r.forward(rid, to, reassign=True))


@app.command("allocate")
@data_options
def allocate(rid: str = typer.Argument(..., metavar="ID", help="Request id."),
             handlers: str = typer.Option(..., "--to", help="Handler user ids, ','-separated.")) -> None:
    """Allocators: assign a request to request handlers of the authority."""
    _do(N_("Allocated {id} (queued: `imi sync` takes it to the hub)"), rid,
        lambda r, rid: r.allocate(rid, [h.strip() for h in handlers.split(",")]))


@app.command("answer")
@writing_options
def answer(
    rid: str = typer.Argument(..., metavar="ID", help="Request id."),
    answers: List[str] = typer.Option([], "--answer", help="QUESTION=VALUE: a code, yes/no, a date, a number, text; "
                                                           "several codes with ','."),
    file: Optional[Path] = typer.Option(None, "--answers-file", help="A YAML or JSON mapping question -> value."),
    attach: List[Path] = typer.Option([], "--attach", help="A document to attach."),
) -> None:
    """Answer a request: values are checked against the question set and stored language-neutral."""
    from imi_cli.exchanges.requests.answer_input import collect

    s = state()
    with s.open_store() as store:
        rid = _full(store, rid)
        requests = _requests(store)
        values = collect(requests.get(rid), _pairs(answers, "--answer"), file)
        requests.answer(rid, values, s.written_language, attach)
    message(t("Answered {id} (queued: `imi sync` takes it to the hub)", id=rid))


@app.command("more")
@writing_options
def more(rid: str = typer.Argument(..., metavar="ID", help="Request id."),
         text: str = typer.Argument(..., metavar="TEXT", help="What else you need.")) -> None:
    """Ask the responder for more information about its answer."""
    s = state()
    _do(N_("Asked for more about {id} (queued: `imi sync` takes it to the hub)"), rid,
        lambda r, rid: r.ask_more(rid, text, s.written_language))


@app.command("close")
@data_options
def close(rid: str = typer.Argument(..., metavar="ID", help="Request id."),
          timeliness: int = typer.Option(..., "--timeliness", help="Rating 1-5."),
          quality: int = typer.Option(..., "--quality", help="Rating 1-5.")) -> None:
    """Accept the answer, rate it, and close the request."""
    _do(N_("Closed {id} (queued: `imi sync` takes it to the hub)"), rid,
        lambda r, rid: r.close(rid, timeliness, quality))


@app.command("withdraw")
@data_options
def withdraw(rid: str = typer.Argument(..., metavar="ID", help="Request id."),
             reason: str = typer.Option("", "--reason", help="Why.")) -> None:
    """Withdraw a request that has not been answered."""
    _do(N_("Withdrew {id} (queued: `imi sync` takes it to the hub)"), rid, lambda r, rid: r.withdraw(rid, reason))


@app.command("reopen")
@data_options
def reopen(rid: str = typer.Argument(..., metavar="ID", help="Request id."),
           reason: str = typer.Option("", "--reason", help="Why.")) -> None:
    """Reopen a closed request (within 30 days of closure)."""
    _do(N_("Reopened {id} (queued: `imi sync` takes it to the hub)"), rid, lambda r, rid: r.reopen(rid, reason))


LIST_LIMIT = 500  # a screenful is what a person reads; scripts ask for --all


@app.command("list")
@listing_options
def list_(
    direction: Optional[str] = typer.Option(None, "--direction", help="incoming or outgoing."),
    state_: Optional[str] = typer.Option(None, "--state", help="Only in this state."),
    overdue: bool = typer.Option(False, "--overdue", help="Only open requests past their deadline."),
    limit: int = typer.Option(LIST_LIMIT, "--limit", min=1, help="At most this many, the most recently active first."),
    all_: bool = typer.Option(False, "--all", help="Every request, however many (overrides --limit)."),
) -> None:
    """Requests of your authority (and, for coordinators, of the authorities you coordinate),
    the most recently active first."""
    from imi_cli.exchanges.requests.views import list_requests

    s = state()
    langs: dict = {}
    with s.open_store() as store:
        rows = shown = list_requests(store.conn, _authority(store), direction=direction, state=state_, overdue=overdue,
                             coordinated=_coordinated(store), limit=None if all_ else limit + 1)
        if not all_ and len(rows) > limit:
            rows = rows[:limit]
            message(nt("the {n} most recently active is shown; --limit N or --all for more",
                       "the {n} most recently active are shown; --limit N or --all for more", limit))
        people = _for_people(s.as_json)
        if people:
            langs, shown = _subject_langs(store.conn, rows), short_ids(store.conn, "request", rows)
    _emit(rows, s.as_json, LIST, lambda: [_request_row(r, langs, s.lang) for r in shown] if people else rows)


def _for_people(as_json: bool) -> bool:
    """Is the output a table a person reads (not JSON, CSV or tab-separated lines)?"""
    from imi_cli.cli.output import for_people

    return not as_json and for_people()


def _subject_langs(conn, rows: list) -> dict:
    from imi_cli.exchanges.requests.views import subject_langs

    return subject_langs(conn, [r["id"] for r in rows if "type" not in r])


def _request_row(row: dict, langs: dict, viewer: str) -> dict:
    """A request's row as a person reads it: the words of the interface, dates as the language
    writes them, the subject's language where it is not the reader's. Codes stay for JSON."""
    from imi_cli.exchanges.requests.labels import state_label

    out = _dates(row)
    out["state"] = state_label(row.get("state"))
    direction = DIRECTIONS.get(row.get("direction") or "")
    out["direction"] = _(direction) if direction else row.get("direction")
    out["subject"] = _subject(row.get("subject"), langs.get(row.get("_id", row.get("id"))), viewer)
    return out


def _subject(subject, lang, viewer: str):
    from imi_cli.i18n import formats

    if not isinstance(subject, str) or not isinstance(lang, str):
        return subject
    return subject + formats.language_tag(lang, viewer)


def _dates(row: dict) -> dict:
    """The deadline as a day of the language, the days left as "in 3 days" / "2 days ago"."""
    from imi_cli.exchanges.requests.views import as_date
    from imi_cli.i18n import formats
    from imi_cli.log import clock

    out = dict(row)
    day = as_date(row.get("deadline"))
    if day is not None:  # a value that is not a date is shown as it is
        out["deadline"], days_left = _day_words(day, clock.now().date(), formats.locale())
        if isinstance(row.get("days_left"), int):
            out["days_left"] = days_left
    return out


@lru_cache(maxsize=2048)
def _day_words(day, today, locale: str) -> tuple[str, str]:
    """A deadline as the language writes it, and its days from today in words: each worked out
    once per listing (7,000 rows share a few hundred deadlines; Babel takes ~0.1 ms a call)."""
    from imi_cli.i18n import formats

    return formats.date(day), formats.days_away((day - today).days)


def _headed(columns: list) -> list:
    return [(key, _(heading) if heading else "") for key, heading in columns]


def _emit(rows: list, as_json: bool, columns: list, for_people=None) -> None:
    """As ``emit``; for a script, the lines written at once (10,000 requests in a few ms), JSON
    row by row. For a person, the rows ``for_people()`` gives, if given (labels and dates in the
    language)."""
    from imi_cli.cli.output import listing_mode, write_json_rows, write_rows

    mode = "json" if as_json else listing_mode()
    if mode == "json":
        write_json_rows(rows)
    elif mode == "table":
        emit(for_people() if for_people else rows, as_json=False, columns=_headed(columns))
    else:
        write_rows(rows, [key for key, _ in columns], mode)


def short_ids(conn, kind: str, rows: list, key: str = "id") -> list:
    """``rows`` with each id as its shortest unique prefix (``imi_cli.cli.ids``), for a table."""
    from imi_cli.cli.ids import shortest_prefixes

    short = shortest_prefixes(conn, kind, [row.get(key) for row in rows])
    # the whole id stays beside the short one, for what is keyed by it (a subject's language)
    return [{**row, key: short.get(row.get(key), row.get(key)), "_id": row.get(key)} for row in rows]


def _authority(store) -> str:
    from imi_cli.errors import UsageError

    authority = store.meta("authority_id")
    if not authority:
        raise UsageError(msgid="no_authority_yet",
                         hint=t("enrol with `imi init --hub URL` (it asks for your invitation code)"))
    return authority


def _coordinated(store) -> list[str]:
    from imi_cli.directory.coordination import covered_by

    return covered_by(store.conn, _authority(store))


@app.command("show")
@data_options
def show(rid: str = typer.Argument(..., metavar="ID", help="Request id.")) -> None:
    """A request in your language: questions, options, answers, comments, history, time left."""
    from imi_cli.exchanges.requests.render import as_text, request_view

    s = state()
    with s.open_store() as store:
        rid = _full(store, rid)
        requests = _requests(store)
        view = request_view(requests.get(rid), requests.history(rid), s.lang)
        _logged(store, "request.show", rid)
    print_json(view) if s.as_json else page(as_text(view))


def _logged(store, action: str, rid: str) -> None:
    """A read of a request's personal data goes into the access log (``imi privacy log``)."""
    from imi_cli.privacy.access import record

    record(store, action, entity=f"request/{rid}")


@app.command("export")
@data_options
def export(rid: str = typer.Argument(..., metavar="ID", help="Request id."),
           fmt: str = typer.Option("json", "--format", help="json or md.")) -> None:
    """The request for the file record, in your language."""
    from imi_cli.cli.output import to_json
    from imi_cli.errors import UsageError
    from imi_cli.exchanges.requests.render import as_markdown, request_view

    if fmt not in ("json", "md"):
        raise UsageError(msgid="use_one_of", params={"option": "--format", "value": fmt, "choices": "json or md"})
    s = state()
    with s.open_store() as store:
        rid = _full(store, rid)
        requests = _requests(store)
        view = request_view(requests.get(rid), requests.history(rid), s.lang)
        _logged(store, "request.export", rid)
    typer.echo(to_json(view) if fmt == "json" else as_markdown(view), nl=False)


@listing_options
def inbox() -> None:
    """What needs your authority's action now: alerts to forward or read, notifications to
    disseminate or decide, new requests, answers to read, deadlines, reminders."""
    from imi_cli.exchanges.alerts.views import inbox_items as alert_items
    from imi_cli.exchanges.notifications.views import inbox_items as notification_items
    from imi_cli.exchanges.requests.views import inbox as items

    s = state()
    langs: dict = {}
    with s.open_store() as store:
        me = _authority(store)
        rows = shown = (alert_items(store.conn, me, s.lang) + notification_items(store.conn, me, s.lang)
                + items(store.conn, me, _coordinated(store)))
        people = _for_people(s.as_json)
        if people:
            langs, shown = _subject_langs(store.conn, rows), _short_inbox_ids(store.conn, rows)
    _emit(rows, s.as_json, INBOX, lambda: [_inbox_row(r, langs, s.lang) for r in shown] if people else rows)
    if not rows and not s.as_json:
        message(_("Nothing needs your action."))


def _short_inbox_ids(conn, rows: list) -> list:
    """An inbox's ids (a request's, an alert's, a notification's) as their shortest unique prefixes."""
    from imi_cli.cli.ids import shortest_prefixes

    short: dict = {}
    for kind in ("request", "alert", "notification"):
        short.update(shortest_prefixes(conn, kind, [r.get("id") for r in rows if r.get("type", "request") == kind]))
    # a subject's language is keyed by the whole id (``_subject_langs``): keep it beside the short one
    return [{**row, "id": short.get(row.get("id"), row.get("id")), "_id": row.get("id")} for row in rows]


def _inbox_row(row: dict, langs: dict, viewer: str) -> dict:
    """An inbox item as a person reads it (a request's, an alert's or a notification's)."""
    from imi_cli.exchanges.requests.labels import action_label, flag_label, reminders_text

    out = _dates(row)
    out["flag"] = flag_label(row.get("flag"))
    if "type" in row:  # an alert's or a notification's item: its own words
        out["action"] = _(row["action"]) if isinstance(row.get("action"), str) and row["action"] else row.get("action")
        return out
    out["action"] = action_label(row)
    out["reminders"] = reminders_text(row.get("reminders") or [])
    out["subject"] = _subject(row.get("subject"), langs.get(row.get("_id", row.get("id"))), viewer)
    return out


@listing_options
def stats() -> None:
    """Requests per area and authority (accepted within 7 days, days to answer, by the deadline,
    ratings); alerts per area and country; notifications per kind, country and area."""
    from imi_cli.cli.output import print_table
    from imi_cli.commands.alert import STATS_COLUMNS
    from imi_cli.commands.notification import STATS_COLUMNS as NOTIFICATION_COLUMNS
    from imi_cli.exchanges.alerts.views import stats as alert_figures
    from imi_cli.exchanges.notifications.views import stats as notification_figures
    from imi_cli.exchanges.requests.views import stats as figures

    s = state()
    with s.open_store() as store:
        rows, alerts = figures(store.conn), alert_figures(store.conn)
        notifications = notification_figures(store.conn)
    if s.as_json:
        print_json({"requests": rows, "alerts": alerts, "notifications": notifications})
        return
    people = _for_people(False)
    if people:
        rows, alerts, notifications = (_numbers(rows), _numbers(alerts), _numbers(notifications))
    # (rows, columns, title, how many leading columns say what a row is about)
    for figures_of, columns, title, keys in ((rows, STATS, _("Requests"), 2), (alerts, STATS_COLUMNS, _("Alerts"), 2),
                                             (notifications, NOTIFICATION_COLUMNS, _("Notifications"), 3)):
        if people and not _fits(figures_of, _headed(columns)):
            _stacked(figures_of, _headed(columns), title, keys)  # a narrow terminal: no heading cut to "timeli…"
        else:
            print_table(figures_of, _headed(columns), title)


def _fits(rows: list, columns: list) -> bool:
    """Does the table fit the terminal with every heading and cell whole? (Rich shrinks a table too
    wide by cutting cells, even ones it could have wrapped on words.)"""
    from rich.console import Console
    from rich.measure import Measurement
    from rich.table import Table
    from rich.text import Text

    from imi_cli.cli.environment import environment
    from imi_cli.safe_text import display, safe_text

    console = Console(file=environment().stdout)
    table = Table()
    for _key, heading in columns:
        table.add_column(Text(heading))
    for row in rows:
        table.add_row(*(Text(safe_text(display(row.get(key)))) for key, _heading in columns))
    wide = console.options.update(width=100_000, max_width=100_000)  # measured unclamped
    return Measurement.get(console, wide, table).maximum <= console.width


def _stacked(rows: list, columns: list, title: str, keys: int) -> None:
    """Each row as lines of `heading  value` under its first ``keys`` cells (what it is about),
    for a terminal too narrow for the table."""
    from rich.cells import cell_len

    from imi_cli.cli.environment import environment
    from imi_cli.safe_text import display, safe_text

    width = max(cell_len(heading) for _key, heading in columns[keys:])
    lines = [safe_text(title)]
    for row in rows:
        lines.append("  " + " · ".join(safe_text(display(row.get(key))) for key, _heading in columns[:keys]))
        lines += [f"    {heading}{' ' * (width - cell_len(heading))}  {safe_text(display(row.get(key)))}"
                  for key, heading in columns[keys:]]
    environment().stdout.write("\n".join(lines) + "\n")


def _numbers(rows: list) -> list:
    """Figures with the language's separators, for a person (tab-separated output keeps them raw)."""
    from imi_cli.i18n import formats

    return [{k: formats.number(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v
             for k, v in row.items()} for row in rows]
