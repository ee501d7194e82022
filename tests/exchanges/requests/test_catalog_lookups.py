"""The hub checks each answer against the question set without reading a catalog file again:
sets are loaded once per process and looked up by the (id, version) the request pinned."""

from __future__ import annotations

import threading

from imi_cli.exchanges.requests.service import Requests
from imi_cli.questionnaires import catalog as catalog_module
from imi_cli.questionnaires.registry import Registry, catalogs


def test_answers_reach_the_hub_without_rereading_the_catalog(network, monkeypatch):
    net = network
    ie, hu = Requests(net.stores["ie.handler"]), Requests(net.stores["hu.handler"])
    rid = ie.new(area="services", to="HU-AUTH", questionnaire="services-verify-provider",
                 questions=["legally_established", "authorisation_status"], deadline="2099-01-31",
                 subject="Provider check", person={"provider_name": "Nagy Kft."})
    ie.send(rid)
    net.sync("ie.handler", "hu.handler")
    hu.accept(rid)

    parsed: list[str] = []
    looked_up: list[tuple[str, str, str]] = []
    real_check, real_get = catalog_module.check_file, Registry.get
    monkeypatch.setattr(catalog_module, "check_file", lambda path: parsed.append(path) or real_check(path))

    def spying_get(self, set_id, version):
        looked_up.append((threading.current_thread().name, set_id, version))
        return real_get(self, set_id, version)

    monkeypatch.setattr(Registry, "get", spying_get)
    hu.answer(rid, {"legally_established": "yes", "authorisation_status": "valid"}, "hu")
    net.sync("hu.handler")

    assert hu.get(rid)["state"] == "answered"
    assert parsed == []
    version = catalogs().latest("services-verify-provider").version
    hub_side = [call for call in looked_up if call[0] != threading.current_thread().name]
    # the hub's checks ran (the answers' fit, and which answers are personal), by the pinned
    # version, from memory
    assert hub_side and all(call[1:] == ("services-verify-provider", version) for call in hub_side)
