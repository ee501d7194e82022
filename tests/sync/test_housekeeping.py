"""The serving hub's timer: reminders fall due by themselves, once each; retention prunes."""

from __future__ import annotations

import secrets

from imi_cli.demo.network import AUTHORITIES, _coordinator, _register, _sync
from imi_cli.exchanges.requests.service import Requests
from imi_cli.hub import housekeeping
from imi_cli.hub.background import BackgroundHub
from imi_cli.hub.state import init_hub

NO_ALERT_WORK = {"alerts_delivered": 0, "alerts_erased": 0,  # the alert and notification jobs had nothing to do
                 "notifications_delivered": 0, "notification_reminders": 0,
                 "early_erasures": 0, "privacy_blocked": 0, "privacy_erased": 0}  # nor the privacy clock


def test_reminders_fall_due_by_the_hub_clock_once_each(pair, tmp_path, monkeypatch):
    hub, users = pair.hub, pair.users
    ie = Requests(users["IE"])
    rid = ie.new(area="professional-qualifications", to="HU-MEK", questionnaire="pq-verify-qualification",
                 questions=["document_authentic"], deadline="2026-01-20", subject="Check",
                 person={"applicant_name": "Nagy Béla", "profession": "architect"})
    ie.send(rid)
    _sync(users["IE"])
    assert housekeeping.run_once(hub, None) == {"reminders": 0, "pruned": 0, **NO_ALERT_WORK}
    monkeypatch.setenv("IMI_NOW", "2026-01-18T09:00:00+00:00")  # two days before the deadline
    assert housekeeping.run_once(hub, None)["reminders"] == 1
    assert housekeeping.run_once(hub, None)["reminders"] == 0  # once per deadline
    monkeypatch.setenv("IMI_NOW", "2026-01-21T09:00:00+00:00")  # the deadline has passed
    assert housekeeping.run_once(hub, None)["reminders"] == 1
    _sync(users["HU"])
    kinds = [r["kind"] for r in Requests(users["HU"]).get(rid)["record"]["reminders"]]
    assert kinds == ["deadline_near", "deadline_passed"]
    monkeypatch.setenv("IMI_NOW", "2026-06-01T09:00:00+00:00")
    done = housekeeping.run_once(hub, 30)
    # escalation; the four spent invitation codes go (each one's invited and spent events),
    # the open request stays on the hub
    assert done == {"reminders": 1, "pruned": 8, **NO_ALERT_WORK}
    ie.withdraw(rid, "no longer needed")  # from before the reminders: they make nothing stale
    assert _sync(users["IE"]).rejected == []
    monkeypatch.setenv("IMI_NOW", "2026-07-05T09:00:00+00:00")
    # drafted, sent, three reminders, withdrawn: the settled request leaves the hub whole
    assert housekeeping.run_once(hub, 30) == {"reminders": 0, "pruned": 6, **NO_ALERT_WORK}
    assert hub.store.query("SELECT count(*) FROM requests")[0][0] == 0


def test_a_lost_code_is_replaced_and_the_new_one_enrols(tmp_path):
    from imi_cli.directory.users import Users
    from imi_cli.log.store import Store
    from imi_cli.sync.enrolment import enrol

    hub = init_hub(tmp_path / "hub.db", secrets.token_urlsafe(16))
    with BackgroundHub(hub) as served:
        coordinator = _coordinator(hub, tmp_path, served.url, "HU", "hu", "HU")
        _register(coordinator, *AUTHORITIES["HU"])  # hu.kovacs's first code is lost
        code = Users(coordinator).invite("hu.kovacs")
        _sync(coordinator)
        store = Store.create(tmp_path / "kovacs.db", secrets.token_urlsafe(16))
        assert enrol(store, served.url, code)["user"] == "hu.kovacs"
        store.close()
        coordinator.close()
    hub.store.close()
