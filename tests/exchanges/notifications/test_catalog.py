"""A kind of notification is a question set with a ``notification`` block: the validator
refuses a block whose decisions name no choice list, and a new kind added to a catalog
folder (no code) is drafted, broadcast and closed with its own decisions."""

from __future__ import annotations

import re
import shutil

from imi_cli.exchanges.notifications.kinds import kinds
from imi_cli.questionnaires import registry
from imi_cli.questionnaires.registry import shipped_folder
from tests.exchanges.notifications.conftest import N, held, last_state, refused, services_answers


def test_a_notification_block_must_name_a_choice_list_of_its_set(imi, tmp_path):
    text = (shipped_folder() / "services-notification.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "services-notification.yaml"
    broken.write_text(text.replace("  decisions: closing_decision", "  decisions: verdicts"), encoding="utf-8")
    result = imi("questionnaire", "validate", broken)
    assert result.code != 0
    assert "notification decisions 'verdicts' is not a choice list of this set" in result.out + result.err
    assert "Traceback" not in result.out + result.err
    missing = tmp_path / "missing" / "services-notification.yaml"
    missing.parent.mkdir()
    missing.write_text(text.replace("  decisions: closing_decision\n", ""), encoding="utf-8")
    result = imi("questionnaire", "validate", missing)
    assert result.code != 0 and "decisions" in result.out + result.err
    assert imi("questionnaire", "validate", shipped_folder() / "services-notification.yaml").code == 0


def test_a_new_kind_is_a_catalog_file(net, tmp_path):
    folder = tmp_path / "catalogs"
    shutil.copytree(shipped_folder(), folder)
    text = (folder / "services-notification.yaml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^id: services-notification$", "id: ecommerce-notification", text)
    text = text.replace("code: no_objection", "code: compatible").replace("no_objection", "compatible")
    (folder / "ecommerce-notification.yaml").write_text(text, encoding="utf-8")
    try:
        registry.configure(folder)
        assert "ecommerce-notification" in kinds()
        nid = N(net, "it.rossi").new(kind="ecommerce-notification", lang="it", answers=services_answers())
        N(net, "it.rossi").broadcast(nid)
        net.sync("it.rossi", "eu.com")
        assert last_state(net, "it.rossi") == "accepted"
        assert held(net, "eu.com", nid)["kind"] == "ecommerce-notification"
        refused(lambda: N(net, "eu.com").close(nid, "no_objection", "en"),
                "the decision is one of compatible, decision_to_refrain, decision_to_abolish")
        N(net, "eu.com").close(nid, "compatible", "en")
        net.sync("eu.com", "it.rossi")
        assert last_state(net, "eu.com") == "accepted"
        assert held(net, "it.rossi", nid)["record"]["decision"]["code"] == "compatible"
    finally:
        registry.configure(None)
    assert "ecommerce-notification" not in kinds()
