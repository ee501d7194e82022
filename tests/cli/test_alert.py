"""`imi alert ...` on the alert network of tests/exchanges/alerts (a hub on loopback, real
encrypted stores): a PQ alert drafted, sent, forwarded, acknowledged, modified, closed and
exported from the command line; bad input refused naming the field, with nothing drafted."""

from __future__ import annotations

import csv
import io
import json
import os

import pytest

from tests.exchanges.alerts.conftest import cli_runner
from tests.exchanges.alerts.network import CLOCK, alert_network

NAME, BORN, PLACE = "Siobhan Cliperson", "1969-04-21", "Castlebar"


@pytest.fixture(scope="module")
def alerts_net(tmp_path_factory):
    return alert_network(tmp_path_factory)


@pytest.fixture(autouse=True)
def now(isolate, monkeypatch):
    return CLOCK.set(monkeypatch)


@pytest.fixture
def cli(alerts_net, imi):
    return cli_runner(alerts_net, imi)


def answers(decided: str | None = None, **changed: str) -> list[str]:
    day = decided or CLOCK.today()
    given = {"professional_name": NAME, "date_of_birth": BORN, "place_of_birth": PLACE,
             "deciding_authority": "Fitness to Practise Committee", "restriction_scope": "partial_restriction",
             "decision_date": day, "period_start": day, **changed}
    return [a for k, v in given.items() if v is not None for a in ("--answer", f"{k}={v}")]


def new(cli, *extra: str, name: str = "ie.byrne", decided: str | None = None, **changed: str):
    return cli(name, "alert", "new", "--kind", "pq-restriction", "--profession", "nurse",
               *answers(decided, **changed), *extra)


def ok(result):
    assert result.code == 0, (result.out, result.err)
    return result


def sync(cli, *names: str) -> None:
    for name in names:
        ok(cli(name, "sync"))


def rows(cli, name: str) -> list[dict]:
    return json.loads(ok(cli(name, "alert", "list", "--json")).out)


def test_an_alert_from_draft_to_export_on_the_command_line(cli, tmp_path):
    aid = ok(new(cli)).out.strip()
    assert [(r["id"], r["state"], r["part"]) for r in rows(cli, "ie.byrne") if r["id"] == aid] == \
        [(aid, "draft", "sender")]
    sent = ok(cli("ie.byrne", "alert", "send", aid))
    assert f"Sent alert {aid} to 3 incoming-alert coordinator(s) and 0 authorit(ies) directly" in sent.err
    sync(cli, "ie.byrne", "hu.szabo")
    mine = [r for r in rows(cli, "hu.szabo") if r["id"] == aid]
    assert [(r["part"], r["to_do"]) for r in mine] == [("coordinator", "forward it to the competent authorities")]
    ok(cli("hu.szabo", "alert", "forward", aid, "--to", "HU-MESZK"))
    sync(cli, "hu.szabo", "hu.toth")
    shown = ok(cli("hu.toth", "alert", "show", aid, "--lang", "hu")).out.splitlines()
    assert f"A szakember neve: [en] {NAME}" in shown
    assert "A korlátozás vagy tilalom terjedelme: Részleges korlátozás" in shown
    ok(cli("hu.toth", "alert", "acknowledge", aid))
    sync(cli, "hu.toth", "ie.byrne")
    end = CLOCK.today(90)
    ok(cli("ie.byrne", "alert", "modify", aid, "--answer", f"period_end={end}", "--under-appeal"))
    ok(cli("ie.byrne", "alert", "close", aid, "--ended-on", CLOCK.today()))
    sync(cli, "ie.byrne", "hu.toth")
    out = json.loads(ok(cli("hu.toth", "alert", "show", aid, "--json")).out)
    assert (out["state"], out["under_appeal"], out["ended_on"], list(out["acknowledged"])) == \
        ("closed", True, CLOCK.today(), ["HU-MESZK"])
    assert {f["id"]: f["value"] for f in out["fields"]}["period_end"] == end
    exported = json.loads(ok(cli("hu.toth", "alert", "export", "--format", "json", "--lang", "hu")).out)
    mine = [e for e in exported if e["id"] == aid]
    assert len(mine) == 1 and mine[0]["state"] == "closed"
    path = tmp_path / "alerts.csv"
    ok(cli("hu.toth", "alert", "export", "--format", "csv", "-o", path, "--lang", "hu"))
    assert os.stat(path).st_mode & 0o777 == 0o600
    lines = [r for r in csv.reader(io.StringIO(path.read_text(encoding="utf-8"))) if r[0] == aid]
    assert [aid, "pq-restriction", "closed", "IE-NMBI"] == lines[0][:4]
    assert ["A szakember neve", f"[en] {NAME}"] in [r[-2:] for r in lines]
    # the coordinator's export keeps the person withheld
    sync(cli, "hu.szabo")
    theirs = [e for e in json.loads(ok(cli("hu.szabo", "alert", "export")).out) if e["id"] == aid]
    assert {f["id"]: f["value"] for f in theirs[0]["fields"]}["professional_name"] == "[withheld]"


def test_a_late_alert_is_refused_without_a_reason(cli):
    aid = ok(new(cli, decided=CLOCK.today(-5))).out.strip()
    late = cli("ie.byrne", "alert", "send", aid)
    assert late.code == 10, (late.out, late.err)
    assert "--late-reason" in late.err and "more than 3 days ago" in late.err
    assert [r["state"] for r in rows(cli, "ie.byrne") if r["id"] == aid] == ["draft"]
    ok(cli("ie.byrne", "alert", "send", aid, "--late-reason", "Decision notified late."))
    sync(cli, "ie.byrne")
    out = json.loads(ok(cli("ie.byrne", "alert", "show", aid, "--json")).out)
    assert (out["state"], out["late_days"], out["late_reason"]) == ("sent", 2, "Decision notified late.")


def counts(alerts_net, name: str = "ie.byrne") -> tuple[int, int]:
    store = alerts_net.stores[name]
    return (store.query("SELECT count(*) FROM alerts")[0][0], store.query("SELECT count(*) FROM events")[0][0])


@pytest.mark.parametrize(("args", "changed", "named"), [
    (("--kind", "pq-nonsense"), {}, "--kind"),
    (("--profession", "plumber"), {}, "--profession"),
    (("--informed-on", "2026-02-30"), {}, "--informed-on"),
    ((), {"decision_date": "last tuesday"}, "decision_date"),
    ((), {"deciding_authority": None}, "deciding_authority"),
    ((), {"restriction_scope": "banished"}, "restriction_scope"),
    ((), {"shoe_size": "42"}, "shoe_size"),
    (("--countries", "DE"), {}, "--countries"),
])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_drafted(cli, alerts_net, args, changed, named):
    before = counts(alerts_net)
    given = dict(zip(args[::2], args[1::2], strict=True))
    kind, profession = given.pop("--kind", "pq-restriction"), given.pop("--profession", "nurse")
    extra = [a for item in given.items() for a in item]
    result = cli("ie.byrne", "alert", "new", "--kind", kind, "--profession", profession, *answers(**changed),
                 *extra)
    assert result.code != 0
    assert named in result.err, result.err
    assert "Traceback" not in result.err + result.out and result.out == ""
    assert counts(alerts_net) == before


def test_an_alert_question_set_is_not_a_request(cli, alerts_net):
    """`imi request new` refuses the alerts' question sets: an alert is sent with `imi alert`."""
    before = alerts_net.stores["ie.clerk"].query("SELECT count(*) FROM requests")[0][0]
    common = ("--deadline", "2099-01-31", "--subject", "Nurse")
    for questionnaire, area, to in (("pq-alert", "professional-qualifications", "HU-MESZK"),
                                    ("services-alert", "services", "DE-GEWERBE")):
        result = cli("ie.clerk", "request", "new", "--questionnaire", questionnaire, "--area", area, "--to", to,
                     *common)
        assert result.code != 0, (questionnaire, result.out)
        assert f"{questionnaire} is an alert's question set, not a request's" in result.err, result.err
    assert alerts_net.stores["ie.clerk"].query("SELECT count(*) FROM requests")[0][0] == before
    # the same user drafts an ordinary request with the same options
    ok(cli("ie.clerk", "request", "new", "--questionnaire", "pq-verify-qualification", "--area",
           "professional-qualifications", "--to", "HU-MESZK", *common))
