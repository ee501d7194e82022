"""Fixtures and steps of the repository tests: one network for the session
(tests/repositories/network.py), a clock that moves forward a minute per test, licences no
other test touches, and an event pushed by hand past a node's own checks."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from imi_cli.errors import Rejected
from imi_cli.log.event import make_event
from imi_cli.repositories.licences.projection import load
from imi_cli.repositories.licences.service import Licences
from tests.repositories.network import CLOCK, repository_network

_SERIAL = itertools.count(1)
ALL_MET = {"national_licence": True, "good_repute": True, "insurance": True, "staff_vehicles_procedures": True}


@pytest.fixture(scope="package")
def net(tmp_path_factory):
    return repository_network(tmp_path_factory)


@pytest.fixture(autouse=True)
def now(isolate, monkeypatch):
    """IMI_NOW a minute after the previous test's."""
    return CLOCK.set(monkeypatch)


# -- steps ----------------------------------------------------------------------------------
def L(net, name: str) -> Licences:
    return Licences(net.stores[name])


def number(country: str = "NL") -> str:
    """A licence number no other test uses."""
    return f"{country}-CIT-{next(_SERIAL):04d}-{CLOCK.now:%H%M}"


def licence(num: str, company: str = "Geldtransport Süd B.V.", registration: str | None = None,
            valid_from: str = "2026-01-01", valid_to: str = "2030-12-31", **more: Any) -> dict[str, Any]:
    return {"number": num, "company": {"name": company, "registration_number": registration or f"KVK {num}",
                                       "address": "Stationsplein 1, Utrecht"},
            "valid_from": valid_from, "valid_to": valid_to, "conditions": dict(ALL_MET), **more}


def issued(net, *, host: str | None = "BE", start: str = "2026-04-01", sync: tuple[str, ...] = ("be.dupont",),
           **fields: Any) -> str:
    """A Dutch licence issued by nl.jansen (``host``: notified to operate there from ``start``),
    pushed, and pulled by the stores named in ``sync``."""
    num = fields.pop("num", None) or number()
    L(net, "nl.jansen").issue(licence(num, **fields))
    if host:
        L(net, "nl.jansen").notify_host(num, host=host, start=start, transport_types=["euro banknotes by road"],
                                        staff=["Piet de Vries"], weapons="none", notice_date="2026-01-15")
    net.sync("nl.jansen", *sync)
    return num


def in_store(net, name: str, num: str) -> dict[str, Any] | None:
    return load(net.stores[name].conn, num)


def refused(call, message: str, kind: type[Exception] = Rejected) -> Exception:
    with pytest.raises(kind) as error:
        call()
    assert error.value.message == message
    return error.value


def push(net, name: str, type_: str, payload: dict[str, Any], entity: str, at: str | None = None) -> dict[str, Any]:
    """Build, sign and push one event from ``name``'s store by hand, bypassing the node's own
    checks: from the version the hub holds, to the audience the hub expects."""
    from imi_cli.log import redaction
    from imi_cli.log.crypto import Signer
    from imi_cli.log.journal import entity_version
    from imi_cli.protocol.pipeline import audience_of
    from imi_cli.protocol.view import RulesView
    from imi_cli.sync.enrolment import client_for

    hub, store = net.hub, net.stores[name]
    me = {"user": store.meta("user_id"), "authority": store.meta("authority_id")}
    event = make_event(type_, actor=me, payload=payload, subject={"entity": entity})
    event["at"] = at or event["at"]
    with hub.lock:
        event["subject"]["version"] = entity_version(hub.store.conn, entity)
        event["audience"] = audience_of(RulesView(hub.store.conn, at_hub=False), event)
    event, disclosed = redaction.conceal_for(store.conn, event)
    event = redaction.wire(Signer(me["user"], store.meta("private_key")).sign_event(event), disclosed)
    with client_for(store) as client:
        return client.push([event])[0]


def push_licence(net, name: str, type_: str, payload: dict[str, Any], num: str) -> dict[str, Any]:
    return push(net, name, type_, payload, f"licence/{num}")


def hub_refuses(result: dict[str, Any], reason: str, message: str) -> None:
    assert (result["status"], result["reason"], result["message"]) == ("rejected", reason, message), result


def hub_accepts(result: dict[str, Any]) -> None:
    assert result["status"] == "accepted", result
