"""`imi alert ...`: warn every member state (or the ones concerned) at once; incoming-alert
coordinators route alerts to the authorities competent in their country."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from imi_cli.cli.environment import state
from imi_cli.cli.options import data_options, listing_options, writing_options
from imi_cli.cli.output import emit, message, page, print_json
from imi_cli.i18n import N_, _, nt, t

app = typer.Typer(no_args_is_help=True)
LIST = [
    # Translators: a heading of `imi alert list`: the alert's id
    ("id", N_("alert")),
    # Translators: a heading of `imi alert list`: incoming or outgoing
    ("direction", N_("in/out")),
    # Translators: a heading of `imi alert list`: how your authority takes part (sender, coordinator, ...)
    ("part", N_("as")),
    # Translators: a heading of `imi alert list`: the alert's state (draft, sent, ...)
    ("state", N_("state")),
    # Translators: a heading of `imi alert list`: the kind of alert and the profession or service concerned
    ("subject", N_("about")),
    # Translators: a heading of `imi alert list`: the authority that sent it
    ("sender", N_("from")),
    # Translators: a heading of `imi alert list`: the day and time the alert was sent
    ("sent_at", N_("sent on")),
    # Translators: a heading of `imi alert list`: what your authority does next
    ("to_do", N_("to do")),
]
QUEUED = {
    "forward": N_("Forwarded alert {id} (queued: `imi sync` takes it to the hub)"),
    "acknowledge": N_("Acknowledged alert {id} (queued: `imi sync` takes it to the hub)"),
    "modify": N_("Modified alert {id} (queued: `imi sync` takes it to the hub)"),
    "withdraw": N_("Withdrew alert {id} (queued: `imi sync` takes it to the hub)"),
    "close": N_("Closed alert {id} (queued: `imi sync` takes it to the hub)"),
}


def _alerts(store):
    from imi_cli.exchanges.alerts.service import Alerts

    return Alerts(store)


def _do(step: str, aid: str, call) -> None:
    with state().open_store() as store:
        aid = _full(store, aid)
        call(_alerts(store), aid)
    message(t(QUEUED[step], id=aid))


def _full(store, aid: str) -> str:
    """The whole id that ``aid`` is or starts (``imi_cli.cli.ids``)."""
    from imi_cli.cli.ids import full_id

    return full_id(store.conn, "alert", aid)


def columns(spec: list) -> list:
    """A table's (key, heading) pairs with the headings in the interface language."""
    return [(key, _(heading)) for key, heading in spec]


def on_terminal(as_json: bool) -> bool:
    """Is a table drawn for a person (not ``--json``, not tab-separated lines for a pipe)?"""
    from imi_cli.cli.output import for_people

    return not as_json and for_people()


def _shown(row: dict) -> dict:
    """A row of `imi alert list` as a person reads it: labels and dates in the interface language."""
    from imi_cli.exchanges.alerts.labels import direction_label, part_label, state_label, subject_label
    from imi_cli.i18n import formats

    return {**row, "direction": direction_label(row["direction"]), "part": part_label(row["part"]),
            "state": state_label(row["state"]), "subject": subject_label(row["kind"], row["subject"]),
            "sent_at": formats.datetime(row["sent_at"], "short") if row.get("sent_at") else "",
            "to_do": _(row["to_do"]) if row.get("to_do") else ""}


def shown_stats(rows: list) -> list:
    """The figures of `imi alert stats` as a person reads them (numbers in the interface language)."""
    from imi_cli.i18n import formats

    return [{**r, **{k: formats.number(r[k]) for k in ("sent", "received", "forwarded", "average_hours_to_forward")
                     if isinstance(r.get(k), (int, float)) and not isinstance(r.get(k), bool)}} for r in rows]


def _answers(answers: List[str], file: Optional[Path], kind_questionnaire: str) -> dict:
    """--answer Q=V pairs over an --answers-file mapping; multiple choices split at ','."""
    from imi_cli.commands.request import _pairs
    from imi_cli.exchanges.requests.answer_input import _read
    from imi_cli.questionnaires.registry import catalogs

    values = _read(file) if file else {}
    kinds = {q.id: q.type for q in catalogs().latest(kind_questionnaire).questions}
    for qid, text in _pairs(answers, "--answer").items():
        values[qid] = [v.strip() for v in text.split(",") if v.strip()] if kinds.get(qid) == "multiple_choice" \
            else text
    return values


@app.command("new")
@writing_options
def new(
    kind: str = typer.Option(..., "--kind", help="pq-restriction, pq-falsified or services."),
    profession: Optional[str] = typer.Option(None, "--profession", help=(
        "PQ alerts: doctor, specialist-doctor, nurse, dentist, specialist-dentist, veterinary-surgeon, midwife, "
        "pharmacist, patient-safety, education-of-minors.")),
    countries: Optional[str] = typer.Option(None, "--countries", help="Services alerts: countries concerned, "
                                                                      "','-separated, or all."),
    answers: List[str] = typer.Option([], "--answer", help="QUESTION=VALUE from the kind's question set "
                                                           "(`imi questionnaire show pq-alert`)."),
    file: Optional[Path] = typer.Option(None, "--answers-file", help="A YAML or JSON mapping question -> value."),
    under_appeal: bool = typer.Option(False, "--under-appeal", help="The decision is under appeal."),
    informed_on: Optional[str] = typer.Option(None, "--informed-on", help="Date the professional was informed "
                                                                          "in writing, YYYY-MM-DD."),
) -> None:
    """Draft an alert (it is sent with `imi alert send`)."""
    from imi_cli.errors import UsageError
    from imi_cli.exchanges.alerts.kinds import KINDS
    from imi_cli.exchanges.alerts.service import parse_countries, parse_date

    if kind not in KINDS:
        raise UsageError(t("--kind {kind!r} is not a kind of alert ({kinds})", kind=kind, kinds=", ".join(KINDS)))
    s = state()
    values = _answers(answers, file, KINDS[kind].questionnaire)
    with s.open_store() as store:
        aid = _alerts(store).new(kind=kind, profession=profession, answers=values, lang=s.written_language,
                                 countries=parse_countries(countries), under_appeal=under_appeal,
                                 informed_on=parse_date(informed_on, "--informed-on") if informed_on else None)
    print_json({"id": aid, "state": "draft"}) if s.as_json else typer.echo(aid)


@app.command("send")
@data_options
def send(aid: str = typer.Argument(..., metavar="ID", help="Alert id."),
         late_reason: Optional[str] = typer.Option(None, "--late-reason", help=(
             "PQ alerts sent more than 3 days after the decision: why (every recipient sees it)."))) -> None:
    """Send a draft to every authority the directory routes it to."""
    with state().open_store() as store:
        aid = _full(store, aid)
        event = _alerts(store).send(aid, late_reason)
    routing = event["payload"]["routing"]
    # Translators: {coordinators} and {direct} are counts (0, 1 or more): "(s)" keeps the sentence right for all
    message(t("Sent alert {id} to {coordinators} incoming-alert coordinator(s) and {direct} authorit(ies) directly "
              "(queued: `imi sync` takes it to the hub)", id=aid, coordinators=len(routing["coordinators"]),
              direct=len(routing["direct"])))


@app.command("forward")
@data_options
def forward(aid: str = typer.Argument(..., metavar="ID", help="Alert id."),
            to: str = typer.Option(..., "--to", help="Competent authorities of your country, ','-separated "
                                                     "(your own to handle it yourself).")) -> None:
    """Incoming-alert coordinators: pass an alert to the competent authorities; they get it whole."""
    _do("forward", aid, lambda a, aid: a.forward(aid, [name.strip() for name in to.split(",") if name.strip()]))


@app.command("acknowledge")
@data_options
def acknowledge(aid: str = typer.Argument(..., metavar="ID", help="Alert id.")) -> None:
    """Record that your authority has read the alert."""
    _do("acknowledge", aid, lambda a, aid: a.acknowledge(aid))


@app.command("modify")
@writing_options
def modify(
    aid: str = typer.Argument(..., metavar="ID", help="Alert id."),
    answers: List[str] = typer.Option([], "--answer", help="QUESTION=VALUE to change (e.g. period_end=2027-06-30)."),
    under_appeal: Optional[bool] = typer.Option(None, "--under-appeal/--not-under-appeal",
                                                help="Set or clear the under-appeal flag."),
    informed_on: Optional[str] = typer.Option(None, "--informed-on", help="Date the professional was informed."),
) -> None:
    """Senders: change an alert you sent; every recipient is told."""
    from imi_cli.exchanges.alerts.service import parse_date

    s = state()
    day = parse_date(informed_on, "--informed-on") if informed_on else None
    with s.open_store() as store:
        aid = _full(store, aid)
        alerts = _alerts(store)
        alert = alerts.get(aid)
        values = _answers(answers, None, alert["record"]["content"]["questionnaire"]) if answers else {}
        alerts.modify(aid, answers=values, lang=s.written_language, under_appeal=under_appeal, informed_on=day)
    message(t(QUEUED["modify"], id=aid))


@app.command("withdraw")
@data_options
def withdraw(aid: str = typer.Argument(..., metavar="ID", help="Alert id."),
             reason: str = typer.Option(..., "--reason", help="Why (e.g. sent in error).")) -> None:
    """Senders: withdraw an alert sent in error; its personal data is erased everywhere."""
    _do("withdraw", aid, lambda a, aid: a.withdraw(aid, reason))


@app.command("close")
@data_options
def close(aid: str = typer.Argument(..., metavar="ID", help="Alert id."),
          ended_on: Optional[str] = typer.Option(None, "--ended-on", help=(
              "The day the restriction expired or was revoked, YYYY-MM-DD (default: today)."))) -> None:
    """Senders: close an alert when the restriction ends (PQ: personal data erased 3 days later)."""
    from imi_cli.exchanges.alerts.service import parse_date

    day = parse_date(ended_on, "--ended-on") if ended_on else None
    _do("close", aid, lambda a, aid: a.close(aid, day))


@app.command("list")
@listing_options
def list_(state_: Optional[str] = typer.Option(None, "--state", help="draft, sent, withdrawn or closed."),
          direction: Optional[str] = typer.Option(None, "--direction", help="in or out.")) -> None:
    """Alerts your authority sent or was sent, the most recently active first."""
    from imi_cli.commands.request import _authority, _emit, short_ids
    from imi_cli.exchanges.alerts.views import list_alerts

    s = state()
    with s.open_store() as store:
        rows = list_alerts(store.conn, _authority(store), s.lang, state=state_, direction=direction)
        people = on_terminal(s.as_json)
        shown = short_ids(store.conn, "alert", rows) if people else rows
    _emit([_shown(r) for r in shown] if people else rows, s.as_json, columns(LIST))
    if not rows and not s.as_json:
        message(_("No alerts here."))


@app.command("show")
@data_options
def show(aid: str = typer.Argument(..., metavar="ID", help="Alert id.")) -> None:
    """An alert in your language: every field, who has it, what happened."""
    from imi_cli.commands.request import _authority
    from imi_cli.exchanges.alerts.render import alert_view, as_text
    from imi_cli.privacy import access

    s = state()
    with s.open_store() as store:
        aid = _full(store, aid)
        view = alert_view(_alerts(store).get(aid), s.lang, _authority(store))
        access.record(store, "alert.show", entity=f"alert/{aid}")
    print_json(view) if s.as_json else page(as_text(view))


@app.command("export")
@data_options
def export(fmt: str = typer.Option("json", "--format", help="json or csv."),
           out: Optional[Path] = typer.Option(None, "-o", "--output", help="Write to this file, readable by you "
                                                                           "only (default: standard output).")
           ) -> None:
    """Every alert this store holds, in your language, as JSON or CSV (withheld fields stay withheld)."""
    from imi_cli.cli.output import to_json
    from imi_cli.commands.request import _authority
    from imi_cli.errors import UsageError
    from imi_cli.exchanges.alerts.views import export_rows

    if fmt not in ("json", "csv"):
        raise UsageError(msgid="use_one_of", params={"option": "--format", "value": fmt,
                                                        "choices": _("json or csv")})
    s = state()
    with s.open_store() as store:
        rows = export_rows(store.conn, _authority(store), s.lang)
        if rows:
            from imi_cli.privacy import access

            access.record(store, "alert.export", entities=[f"alert/{r['id']}" for r in rows][:1000])
    text = to_json(rows) if fmt == "json" else _csv(rows)
    if out is None:
        typer.echo(text, nl=False)
    else:
        from imi_cli.cli.output_files import write_output

        write_output(out, text, "-o", private=True)  # personal data: a file only its owner reads
        message(nt("Wrote {n} alert to {path}", "Wrote {n} alerts to {path}", len(rows), path=out))


def _csv(rows: list) -> str:
    """One line per alert and field (the label in the reader's language), formulas neutralised."""
    import csv
    import io

    from imi_cli.bulk.spreadsheet import neutralise

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["alert", "kind", "state", "sender", "sent_at", "under_appeal", "field", "value"])
    for r in rows:
        for f in r["fields"] or [{"label": "", "value": ""}]:
            writer.writerow([neutralise(str(v)) for v in (r["id"], r["kind"], r["state"], r["sender"],
                                                               r["sent_at"] or "", r["under_appeal"], f["label"],
                                                               f["value"])])
    return buffer.getvalue()


@app.command("stats")
@listing_options
def stats() -> None:
    """Per area and country: alerts sent, received, and hours from sending to forwarding."""
    from imi_cli.exchanges.alerts.views import stats as figures

    s = state()
    with s.open_store() as store:
        rows = figures(store.conn)
    emit(rows, as_json=s.as_json, rows=shown_stats(rows) if on_terminal(s.as_json) else rows,
         columns=columns(STATS_COLUMNS))


STATS_COLUMNS = [
    # Translators: a heading of `imi alert stats` and `imi stats`: the legislative area
    ("area", N_("area")),
    # Translators: a heading of `imi alert stats` and `imi stats`
    ("country", N_("country")),
    # Translators: a heading of `imi alert stats` and `imi stats`: how many alerts the country sent
    ("sent", N_("sent")),
    # Translators: a heading of `imi alert stats` and `imi stats`: how many alerts the country received
    ("received", N_("received")),
    # Translators: a heading of `imi alert stats` and `imi stats`: how many of those it forwarded
    ("forwarded", N_("forwarded")),
    # Translators: a heading of `imi alert stats` and `imi stats`: average hours from sending to forwarding
    ("average_hours_to_forward", N_("hours to forward")),
]
