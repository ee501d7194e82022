"""Fixtures and steps of the alert tests: one network for the package (tests/exchanges/alerts/
network.py), a clock that moves forward a minute per test, and helpers that drive the
``Alerts`` service, push events by hand past a node's own checks, and read a store whole."""

from __future__ import annotations

import base64
import binascii
import itertools
import re
from typing import Any

import pytest

from imi_cli.errors import Rejected
from imi_cli.exchanges.alerts.projection import load
from imi_cli.exchanges.alerts.service import Alerts
from imi_cli.log.event import make_event
from tests.exchanges.alerts.network import CLOCK, alert_network

_SERIAL = itertools.count(1)


@pytest.fixture(scope="package")
def net(tmp_path_factory):
    return alert_network(tmp_path_factory)


@pytest.fixture(autouse=True)
def now(isolate, monkeypatch):
    """IMI_NOW a minute after the previous test's (``CLOCK.set(monkeypatch, days=3)`` jumps)."""
    return CLOCK.set(monkeypatch)


@pytest.fixture
def cli(net, imi):
    """``cli(name, *args)``: `imi --store <name's store> args...`, unlocked as `imi unlock` leaves it."""
    return cli_runner(net, imi)


_KEYS: dict[str, bytes] = {}


def cli_runner(net, imi):
    from imi_cli.log.store import derive_key, read_salt
    from imi_cli.log.unlock import cache_key
    from tests.exchanges.requests.network import PASSPHRASE

    def run(name, *args):
        path = net.stores[name].path
        if name not in _KEYS:
            _KEYS[name] = derive_key(PASSPHRASE, read_salt(path))
        cache_key(path, _KEYS[name], 600)
        result = imi("--store", path, *args)
        assert "Traceback" not in result.err + result.out
        return result

    return run


# -- steps ----------------------------------------------------------------------------------
def A(net, name: str) -> Alerts:
    return Alerts(net.stores[name])


def person() -> dict[str, str]:
    """A professional no other test names: a leak of this one cannot be another test's."""
    n = next(_SERIAL)
    return {"professional_name": f"Aoife Testperson-{n:03d}", "date_of_birth": f"1971-0{1 + n % 9}-{10 + n % 18}",
            "place_of_birth": f"Ballyjamesduff-{n:03d}"}


def pq_answers(who: dict[str, str] | None = None, decided: str | None = None, **more: str) -> dict[str, str]:
    day = decided or CLOCK.today()
    return {**(who or person()), "deciding_authority": "Fitness to Practise Committee",
            "restriction_scope": "suspension", "decision_date": day, "period_start": day, **more}


def drafted(net, who=None, kind="pq-restriction", profession="nurse", sender="ie.byrne", **answers) -> str:
    return A(net, sender).new(kind=kind, profession=profession, lang="en", answers=pq_answers(who, **answers))


def sent(net, who=None, sync=True, **answers) -> str:
    """A nurse's PQ alert from IE, sent and (``sync``) pulled by everyone concerned."""
    aid = drafted(net, who, **answers)
    A(net, "ie.byrne").send(aid)
    if sync:
        net.sync("ie.byrne", "hu.szabo", "fi.nco", "de.nco")
    return aid


def forwarded(net, who=None, to=("HU-MESZK",)) -> str:
    aid = sent(net, who)
    A(net, "hu.szabo").forward(aid, list(to))
    net.sync("hu.szabo", "hu.toth", "ie.byrne")
    return aid


def refused(call, message: str, kind: type[Exception] = Rejected) -> Exception:
    with pytest.raises(kind) as error:
        call()
    assert error.value.message == message
    return error.value


def alert_in(net, name: str, aid: str) -> dict[str, Any] | None:
    return load(net.stores[name].conn, aid)


def push(net, name: str, type_: str, payload: dict[str, Any], aid: str, at: str | None = None) -> dict[str, Any]:
    """Build, sign and push one alert event from ``name``'s store by hand, bypassing the node's
    own checks: from the version the hub holds, to the audience the hub expects (``at``: the
    time the event claims, if not now)."""
    from imi_cli.log import redaction
    from imi_cli.log.crypto import Signer
    from imi_cli.log.journal import entity_version
    from imi_cli.protocol.pipeline import audience_of
    from imi_cli.protocol.view import RulesView
    from imi_cli.sync.enrolment import client_for

    hub, store = net.hub, net.stores[name]
    entity = f"alert/{aid}"
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


def hub_refuses(result: dict[str, Any], reason: str, message: str) -> None:
    assert (result["status"], result["reason"], result["message"]) == ("rejected", reason, message), result


# -- reading a store whole --------------------------------------------------------------------
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,}")


def everything_in(store) -> str:
    """Every row of every table of the (decrypted) store as text, each base64url token also
    decoded: a disclosure (salt, key, value in base64url) shows its value here too."""
    out = []
    tables = [t for (t,) in store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for table in tables:
        for row in store.conn.execute(f'SELECT * FROM "{table}"'):
            text = " ".join(v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in row)
            out.append(text)
            for token in _TOKEN.findall(text):
                try:
                    out.append(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("utf-8", "replace"))
                except (binascii.Error, ValueError):
                    pass
    assert len(tables) > 10 and out  # a store read whole, not an empty one
    return "\n".join(out)
