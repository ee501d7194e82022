"""Fixtures and steps of the notification tests: one network for the session
(tests/exchanges/notifications/network.py), a clock that moves forward a minute per test, and
helpers that drive the ``Notifications`` service, push events by hand past a node's own
checks, and say what a store holds of a notification."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from imi_cli.errors import Rejected
from imi_cli.exchanges.notifications.projection import load
from imi_cli.exchanges.notifications.service import Notifications
from imi_cli.log.event import make_event
from tests.exchanges.notifications.network import CLOCK, notification_network

_SERIAL = itertools.count(1)
EVERYONE = ("it.rossi", "it.clerk", "it.nco", "at.nco", "at.assist", "at.huber", "at.gruber", "fi.nco",
            "fi.koski", "de.nco", "de.weber", "eu.com")


@pytest.fixture(scope="package")
def net(tmp_path_factory):
    return notification_network(tmp_path_factory)


@pytest.fixture(autouse=True)
def now(isolate, monkeypatch):
    """IMI_NOW a minute after the previous test's (``CLOCK.set(monkeypatch, days=3)`` jumps)."""
    return CLOCK.set(monkeypatch)


@pytest.fixture
def cli(net, imi):
    """``cli(name, *args)``: `imi --store <name's store> args...`, unlocked as `imi unlock` leaves it."""
    from tests.exchanges.alerts.conftest import cli_runner

    return cli_runner(net, imi)


# -- steps ----------------------------------------------------------------------------------
def N(net, name: str) -> Notifications:
    return Notifications(net.stores[name])


def measure() -> str:
    """A measure title no other test names: a leak of this one cannot be another test's."""
    return f"Numero massimo di guide turistiche per provincia n. {next(_SERIAL):03d}"


def services_answers(title: str | None = None, **more: Any) -> dict[str, Any]:
    return {"requirement_type": ["quantitative_territorial"], "service_activity": "Guide turistiche",
            "measure_title": title or measure(), "non_discriminatory": "yes",
            "justification": "Tutela del patrimonio culturale", "proportionality": "Misura limitata nel tempo",
            "entry_into_force": "2027-03-01", "draft_text": "bozza.pdf", **more}


def art39_answers(title: str | None = None) -> dict[str, Any]:
    return {"change_type": "new_requirement", "requirement_type": ["authorisation_registration"],
            "service_activity": "Noleggio con conducente", "measure_title": title or measure(),
            "requirement_description": "Registrazione preventiva", "non_discriminatory": "yes",
            "justification_grounds": ["public_security"], "proportionality": "Limitata", "applies_from": "2027-01-01",
            "measure_text": "decreto.pdf"}


def diploma_answers(title: str | None = None) -> dict[str, Any]:
    return {"profession": "nurse", "diploma_title": title or measure(), "awarding_body": "Hochschule Fulda",
            "professional_title": "Pflegefachfrau", "reference_date": "2026-01-01", "replaces_title": "no",
            "legal_basis": "PflBG", "training_duration_compliant": "yes", "training_content_compliant": "yes",
            "training_description": "Drei Jahre", "documents": "anlage.pdf"}


ANSWERS = {"services-notification": services_answers, "services-notification-39-5": art39_answers,
           "pq-diploma-notification": diploma_answers}


def drafted(net, kind: str = "services-notification", notifier: str = "it.rossi", lang: str = "it",
            **answers: Any) -> str:
    given = ANSWERS[kind]()
    return N(net, notifier).new(kind=kind, lang=lang, answers={**given, **answers})


def broadcast(net, kind: str = "services-notification", notifier: str = "it.rossi", sync: bool = True,
              **answers: Any) -> str:
    """A notification drafted, broadcast and (``sync``) pulled by every coordinator and the Commission."""
    nid = drafted(net, kind, notifier, **answers)
    N(net, notifier).broadcast(nid)
    if sync:
        net.sync(notifier, "eu.com", "it.nco", "at.nco", "fi.nco", "de.nco")
    return nid


def disseminated(net, to: tuple[str, ...] = ("AT-BMAW",), **answers: Any) -> str:
    nid = broadcast(net, **answers)
    N(net, "at.nco").disseminate(nid, list(to))
    net.sync("at.nco", "at.huber", "at.gruber")
    return nid


def refused(call, message: str, kind: type[Exception] = Rejected) -> Exception:
    with pytest.raises(kind) as error:
        call()
    assert error.value.message == message
    return error.value


def held(net, name: str, nid: str) -> dict[str, Any] | None:
    return load(net.stores[name].conn, nid)


def events_of(net, name: str, nid: str) -> list[str]:
    """The types of the events of notification ``nid`` that ``name``'s store holds."""
    return [t for (t,) in net.stores[name].conn.execute(
        "SELECT type FROM events WHERE json_extract(body, '$.subject.entity') = ? ORDER BY seq",
        (f"notification/{nid}",))]


def last_state(net, name: str) -> str:
    from imi_cli.sync.session import outbox

    return outbox(net.stores[name])[-1]["state"]


def push(net, name: str, type_: str, payload: dict[str, Any], nid: str) -> dict[str, Any]:
    """Build, sign and push one notification event from ``name``'s store by hand, bypassing the
    node's own checks: from the version the hub holds, to the audience the hub expects."""
    from imi_cli.log import redaction
    from imi_cli.log.crypto import Signer
    from imi_cli.log.journal import entity_version
    from imi_cli.protocol.pipeline import audience_of
    from imi_cli.protocol.view import RulesView
    from imi_cli.sync.enrolment import client_for

    hub, store = net.hub, net.stores[name]
    entity = f"notification/{nid}"
    me = {"user": store.meta("user_id"), "authority": store.meta("authority_id")}
    event = make_event(type_, actor=me, payload=payload, subject={"entity": entity})
    with hub.lock:
        event["subject"]["version"] = entity_version(hub.store.conn, entity)
        event["audience"] = audience_of(RulesView(hub.store.conn, at_hub=False), event)
    event, disclosed = redaction.conceal_for(store.conn, event)
    event = redaction.wire(Signer(me["user"], store.meta("private_key")).sign_event(event), disclosed)
    with client_for(store) as client:
        return client.push([event])[0]


def hub_refuses(result: dict[str, Any], reason: str, message: str) -> None:
    assert (result["status"], result["reason"], result["message"]) == ("rejected", reason, message), result
