"""What each holder reads: labels, chosen options and the Commission's decision in its own
language, free text with the language it was written in; the search by country, area, kind,
state, words and date; the figures per kind, country and area."""

from __future__ import annotations

import pytest

from imi_cli.errors import UsageError
from imi_cli.exchanges.notifications.render import as_text, notification_view
from imi_cli.exchanges.notifications.views import search, stats
from tests.exchanges.notifications.conftest import N, broadcast, disseminated, held, measure, refused
from tests.exchanges.notifications.network import CLOCK

LABELS = {
    "de": ("Welche Art von Anforderung sieht der Maßnahmenentwurf vor?: Mengenmäßige oder territoriale Beschränkungen",
           "Ist die Anforderung nicht diskriminierend?: Ja",
           "decision (EU-COM): Beschluss der Kommission: die Anforderung aufheben [en] Not proportionate."),
    "it": ("Quale tipo di requisito impone il progetto di misura?: Restrizioni quantitative o territoriali",
           "Il requisito è non discriminatorio?: Sì",
           "decision (EU-COM): Decisione della Commissione: abolire il requisito [en] Not proportionate."),
}


def test_each_reads_labels_choices_and_the_decision_in_its_own_language(net):
    title = measure()
    nid = disseminated(net, measure_title=title)
    N(net, "at.huber").comment(nid, "Wir haben ähnliche Regeln geprüft.", "de")
    net.sync("at.huber")
    N(net, "eu.com").close(nid, "decision_to_abolish", "en", "Not proportionate.")
    net.sync("eu.com", "it.rossi", "at.huber")
    for name, me, country, lang in (("at.huber", "AT-BMAW", "AT", "de"), ("it.rossi", "IT-MIMIT", "IT", "it")):
        view = notification_view(held(net, name, nid), lang, me, country)
        lines = as_text(view).splitlines()
        for line in LABELS[lang]:
            assert line in lines, (lang, lines)
        # free text stays as written, tagged with its language
        assert any(line.endswith(f"[it] {title}") for line in lines), lines
        assert any(line.endswith("AT-BMAW [de]: Wir haben ähnliche Regeln geprüft.") for line in lines), lines
        assert view["decision"]["code"] == "decision_to_abolish"
    english = as_text(notification_view(held(net, "eu.com", nid), "en")).splitlines()
    assert "decision (EU-COM): Commission decision: abolish the requirement [en] Not proportionate." in english


@pytest.fixture
def three(net, monkeypatch):
    """An Italian services notification (closed), then a day later a German Art. 39(5) one and a
    German diploma: the ids and the two days."""
    word = measure().replace(" ", "-")
    first = broadcast(net, measure_title=f"Guide {word}")
    day_one = CLOCK.today()
    N(net, "eu.com").close(first, "no_objection", "en")
    net.sync("eu.com")
    CLOCK.set(monkeypatch, days=1)
    art39 = broadcast(net, kind="services-notification-39-5", notifier="de.weber", lang="de")
    diploma = broadcast(net, kind="pq-diploma-notification", notifier="de.weber", lang="de")
    N(net, "fi.nco").comment(diploma, f"Kysymys {word}", "fi")
    net.sync("fi.nco", "eu.com")
    return {"first": first, "art39": art39, "diploma": diploma, "word": word.lower(), "day_one": day_one,
            "day_two": CLOCK.today()}


def test_the_search_by_country_area_kind_state_words_and_date(net, three):
    conn = net.stores["eu.com"].conn
    ours = {three[k]: k for k in ("first", "art39", "diploma")}

    def found(**criteria) -> set[str]:
        return {ours[r["id"]] for r in search(conn, "EU-COM", "en", **criteria) if r["id"] in ours}

    assert found() == {"first", "art39", "diploma"}
    assert found(country="IT") == {"first"}
    assert found(country="de") == {"art39", "diploma"}
    assert found(area="professional-qualifications") == {"diploma"}
    assert found(area="services") == {"first", "art39"}
    assert found(kind="services-notification-39-5") == {"art39"}
    assert found(state="closed") == {"first"}
    assert found(state="broadcast", country="DE", area="services") == {"art39"}
    assert found(text=three["word"]) == {"first", "diploma"}  # an answer, a comment
    assert found(text=three["word"].upper(), kind="pq-diploma-notification") == {"diploma"}
    assert found(since=three["day_two"]) == {"art39", "diploma"}
    assert found(until=three["day_one"]) == {"first"}
    assert found(since=three["day_one"], until=three["day_one"], country="DE") == set()
    refused(lambda: search(conn, "EU-COM", "en", since="2026-02-30"),
            "--from '2026-02-30' is not a date as YYYY-MM-DD", UsageError)
    refused(lambda: search(conn, "EU-COM", "en", state="open"),
            "--state 'open' is not one of draft, broadcast, withdrawn, closed", UsageError)


def test_the_figures_per_kind_country_and_area(net, monkeypatch):
    conn = net.stores["eu.com"].conn
    before = {(g["kind"], g["country"], g["area"]): g for g in stats(conn)}
    CLOCK.set(monkeypatch)
    first = broadcast(net)
    second = broadcast(net, kind="pq-diploma-notification", notifier="de.weber", lang="de")
    N(net, "at.nco").comment(first, "Keine Einwände.", "de")
    N(net, "at.nco").comment(second, "Keine Einwände.", "de")
    N(net, "fi.nco").comment(second, "Ei huomautettavaa.", "fi")
    net.sync("at.nco", "fi.nco", "eu.com")
    N(net, "eu.com").close(second, "listed_in_annex", "en")
    net.sync("eu.com")
    after = {(g["kind"], g["country"], g["area"]): g for g in stats(conn)}
    zero = {"notifications": 0, "comments": 0, "closed": 0}

    def delta(key):
        return {k: after[key][k] - before.get(key, zero)[k] for k in zero}

    assert delta(("services-notification", "IT", "services")) == {"notifications": 1, "comments": 1, "closed": 0}
    assert delta(("pq-diploma-notification", "DE", "professional-qualifications")) == \
        {"notifications": 1, "comments": 2, "closed": 1}
    assert set(after) - set(before) <= {("services-notification", "IT", "services"),
                                        ("pq-diploma-notification", "DE", "professional-qualifications")}
    for key in set(after) - {("services-notification", "IT", "services"),
                             ("pq-diploma-notification", "DE", "professional-qualifications")}:
        assert delta(key) == {"notifications": 0, "comments": 0, "closed": 0}, key
