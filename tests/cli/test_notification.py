"""`imi notification ...` on the notification network of tests/exchanges/notifications (a hub
on loopback, real encrypted stores): a services notification drafted, broadcast,
disseminated, commented, modified, closed, listed, searched, shown in German and Italian and
exported from the command line; bad input refused naming the field, with nothing changed."""

from __future__ import annotations

import json

import pytest

from imi_cli import i18n
from imi_cli.exchanges.notifications.labels import state_label
from tests.exchanges.alerts.conftest import cli_runner
from tests.exchanges.notifications.network import CLOCK, notification_network
from tests.speak import label, said, word

TITLE = "Numero massimo di guide turistiche per provincia (CLI)"
ANSWERS = {"requirement_type": "quantitative_territorial,legal_form", "service_activity": "Guide turistiche",
           "measure_title": TITLE, "non_discriminatory": "yes", "justification": "Tutela del patrimonio culturale",
           "proportionality": "Misura limitata nel tempo", "entry_into_force": "2027-03-01",
           "draft_text": "bozza.pdf"}


@pytest.fixture(scope="module")
def notes_net(tmp_path_factory):
    return notification_network(tmp_path_factory)


@pytest.fixture(autouse=True)
def now(isolate, monkeypatch):
    return CLOCK.set(monkeypatch)


@pytest.fixture
def cli(notes_net, imi):
    return cli_runner(notes_net, imi)


def answers(**changed: str | None) -> list[str]:
    given = {**ANSWERS, **changed}
    return [a for k, v in given.items() if v is not None for a in ("--answer", f"{k}={v}")]


def ok(result):
    assert result.code == 0, (result.out, result.err)
    return result


def sync(cli, *names: str) -> None:
    for name in names:
        ok(cli(name, "sync"))


def rows(cli, name: str, *args: str) -> list[dict]:
    return json.loads(ok(cli(name, "notification", *(args or ("list",)), "--json")).out)


def broadcast(cli, **changed: str) -> str:
    nid = ok(cli("it.rossi", "notification", "new", "--kind", "services-notification", *answers(**changed),
                 "--lang", "it")).out.strip()
    ok(cli("it.rossi", "notification", "broadcast", nid))
    sync(cli, "it.rossi", "at.nco", "eu.com")
    return nid


def test_a_notification_from_draft_to_export_on_the_command_line(cli, tmp_path):
    nid = ok(cli("it.rossi", "notification", "new", "--kind", "services-notification", *answers(),
                 "--lang", "it")).out.strip()
    assert [(r["state"], r["to_do"]) for r in rows(cli, "it.rossi") if r["id"] == nid] == \
        [("draft", "broadcast it (imi notification broadcast)")]
    assert f"Broadcast notification {nid}" in ok(cli("it.rossi", "notification", "broadcast", nid)).err
    sync(cli, "it.rossi", "at.nco", "eu.com")
    mine = [r for r in rows(cli, "at.nco", "list", "--state", "broadcast") if r["id"] == nid]
    assert [r["to_do"] for r in mine] == ["disseminate it to the competent authorities of your country"]
    ok(cli("at.nco", "notification", "disseminate", nid, "--to", "AT-BMAW, AT-WKO"))
    ok(cli("eu.com", "notification", "comment", nid, "Please explain why a numerical limit is needed.",
           "--lang", "en"))
    sync(cli, "at.nco", "eu.com", "at.huber")
    ok(cli("at.huber", "notification", "comment", nid, "Wir haben ähnliche Regeln geprüft.", "--lang", "de"))
    ok(cli("it.rossi", "notification", "modify", nid, "--answer", "entry_into_force=2027-06-01", "--lang", "it"))
    sync(cli, "at.huber", "it.rossi", "eu.com")
    ok(cli("eu.com", "notification", "close", nid, "--decision", "decision_to_refrain", "--text",
           "The limit is not justified.", "--lang", "en"))
    sync(cli, "eu.com", "at.huber", "it.rossi")
    german = ok(cli("at.huber", "notification", "show", nid, "--lang", "de")).out.splitlines()
    assert german[0] == ("Mitteilung einer neuen Anforderung an Dienstleistungserbringer: "
                         f"{TITLE}  [{label('de', state_label, 'closed')}]")
    assert "Welche Art von Anforderung sieht der Maßnahmenentwurf vor?: Mengenmäßige oder territoriale " \
           "Beschränkungen; Verpflichtung, eine bestimmte Rechtsform zu wählen" in german
    assert f"An welchem Datum soll die Maßnahme in Kraft treten?: 2027-06-01  {word('de', '(changed)')}" in german
    assert said("de", "decision ({by}): {label}", by="EU-COM",
                label="Beschluss der Kommission: von der Annahme der Anforderung absehen") + \
        " [en] The limit is not justified." in german
    assert any(line.endswith("EU-COM [en]: Please explain why a numerical limit is needed.") for line in german)
    assert any(line.endswith("AT-BMAW [de]: Wir haben ähnliche Regeln geprüft.") for line in german)
    italian = ok(cli("it.rossi", "notification", "show", nid, "--lang", "it")).out.splitlines()
    assert "Il requisito è non discriminatorio?: Sì" in italian
    assert said("it", "decision ({by}): {label}", by="EU-COM",
                label="Decisione della Commissione: astenersi dall'adottare il requisito") + \
        " [en] The limit is not justified." in italian
    shown = json.loads(ok(cli("at.huber", "notification", "show", nid, "--json")).out)
    assert (shown["state"], shown["disseminated"], shown["decision"]["code"]) == \
        ("closed", ["AT-BMAW", "AT-WKO"], "decision_to_refrain")
    assert [c["lang"] for c in shown["comments"]] == ["en", "de"]
    found = rows(cli, "eu.com", "search", "--country", "it", "--area", "services", "--kind",
                 "services-notification", "--state", "closed", "--text", "numerical limit", "--from",
                 CLOCK.today(), "--to", CLOCK.today())
    assert [r["id"] for r in found] == [nid]
    # other tests of the shared network notified the same words on earlier days: not this one
    assert nid not in [r["id"] for r in rows(cli, "eu.com", "search", "--text", "numerical limit",
                                              "--to", CLOCK.today(-1))]
    path = tmp_path / "notifications.json"
    wrote = ok(cli("at.huber", "notification", "export", "-o", path, "--lang", "de")).err
    everything = json.loads(path.read_text(encoding="utf-8"))
    with i18n.language("de"):
        assert wrote == i18n.nt("Wrote {n} notification to {path}", "Wrote {n} notifications to {path}",
                                len(everything), path=path) + "\n"
    exported = [e for e in everything if e["id"] == nid]
    assert len(exported) == 1 and exported[0]["decision"]["label"] == \
        "Beschluss der Kommission: von der Annahme der Anforderung absehen"
    figures = {(g["kind"], g["country"], g["area"]): g
               for g in json.loads(ok(cli("at.huber", "notification", "stats", "--json")).out)}
    mine = figures[("services-notification", "IT", "services")]
    assert mine["notifications"] >= 1 and mine["closed"] >= 1 and mine["comments"] >= 2
    assert ("services-notification", "AT", "services") not in figures


def counts(notes_net, name: str) -> tuple[int, int]:
    store = notes_net.stores[name]
    return (store.query("SELECT count(*) FROM notifications")[0][0], store.query("SELECT count(*) FROM events")[0][0])


@pytest.mark.parametrize(("args", "changed", "named"), [
    (("--kind", "services-alert"), {}, "--kind"),
    (("--kind", "no-such-kind"), {}, "--kind"),
    ((), {"measure_title": None}, "measure_title"),
    ((), {"requirement_type": "everything"}, "requirement_type"),
    ((), {"entry_into_force": "next spring"}, "entry_into_force"),
    ((), {"shoe_size": "42"}, "shoe_size"),
])
def test_a_bad_draft_is_refused_naming_the_field_and_nothing_is_drafted(cli, notes_net, args, changed, named):
    before = counts(notes_net, "it.rossi")
    kind = dict(zip(args[::2], args[1::2], strict=True)).get("--kind", "services-notification")
    result = cli("it.rossi", "notification", "new", "--kind", kind, *answers(**changed))
    assert result.code != 0
    assert named in result.err, result.err
    assert "Traceback" not in result.err + result.out and result.out == ""
    assert counts(notes_net, "it.rossi") == before


def test_a_bad_decision_or_date_is_refused_naming_it_and_nothing_changes(cli, notes_net):
    nid = broadcast(cli)
    before = counts(notes_net, "eu.com")
    for args, named in ((("close", nid, "--decision", "approved"), "decision"),
                        (("close", nid, "--decision", "noted"), "no_objection, decision_to_refrain"),
                        (("search", "--from", "2026-02-30"), "--from"),
                        (("search", "--to", "yesterday"), "--to"),
                        (("search", "--state", "open"), "--state"),
                        (("disseminate", nid, "--to", "FI-TEM"), "FI-TEM"),
                        (("show", "no-such-id"), "no-such-id")):
        result = cli("eu.com", "notification", *args)
        assert result.code != 0, args
        assert named in result.err, (args, result.err)
        assert "Traceback" not in result.err + result.out and result.out == "", args
    assert counts(notes_net, "eu.com") == before
    assert [r["state"] for r in rows(cli, "eu.com") if r["id"] == nid] == ["broadcast"]


def test_the_commissions_inbox_names_a_notification_to_close(cli, monkeypatch):
    import datetime as dt

    nid = broadcast(cli)
    shown = json.loads(ok(cli("eu.com", "notification", "show", nid, "--json")).out)
    assert [i for i in json.loads(ok(cli("eu.com", "inbox", "--json")).out) if i["id"] == nid] == []
    CLOCK.to(monkeypatch, dt.date.fromisoformat(shown["deadline"]) - dt.timedelta(days=14))
    sync(cli, "eu.com", "eu.com")  # the first pull makes the reminder, the second brings it
    inbox = json.loads(ok(cli("eu.com", "inbox", "--json")).out)
    mine = [i for i in inbox if i["id"] == nid]
    assert [(i["action"], i["days_left"]) for i in mine] == \
        [("notification: the examination period ends soon: close it with a decision", 14)]
