"""A user who leaves (Art. 14: directory entries of users who leave are removed when they
leave): `imi user remove` by a coordinator above the user's authority takes the user out of
every store's directory, revokes the key, and erases the name and e-mail wherever they were
held; the signed log still verifies on every store."""

from __future__ import annotations

import datetime as dt

from imi_cli.log.redaction import verify_log
from tests.privacy.pages import tables_holding

START = dt.datetime(2027, 5, 3, 9, 0, tzinfo=dt.UTC)


def _names(store, user_id):
    return store.query("SELECT name, email FROM users WHERE id = ?", (user_id,))


def test_a_user_who_leaves_is_removed_everywhere_and_the_name_erased(net, cli, clock):
    net.sync()
    assert _names(net.stores["hu.nco"], "hu.late") == [("User hu.late", "hu.late@example.eu")]
    assert _names(net.hub.store, "hu.late")[0][0] == "User hu.late"

    refused = cli("ie.nco", "user", "remove", "hu.late")  # Ireland's coordinator covers no Hungarian authority
    assert refused.code == 10 and "may not manage users of that authority" in refused.err
    refused = cli("hu.nco", "user", "remove", "nobody")
    assert refused.code == 4

    done = cli("hu.nco", "user", "remove", "hu.late")
    assert done.code == 0, done.err
    net.sync("hu.nco", "hu.handler", "ie.handler", "hu.dpo")
    for name in ("hu.nco", "hu.handler", "ie.handler", "hu.dpo", "hub"):
        store = net.everyone[name]
        assert _names(store, "hu.late") == [], name
        assert tables_holding(store, "User hu.late", "hu.late@example.eu") == set(), name  # disclosures decoded
        report = verify_log(store.conn, store.meta("operator_key"))
        assert report["problems"] == [], name
    # the key is revoked: the user's own store can no longer sync
    result = cli("hu.late", "sync")
    assert result.code == 10 and "revoked" in result.err


def test_the_access_logs_own_personal_data_goes_three_years_after_the_read(net, cli, clock, monkeypatch):
    """A data subject's search names the person in the access log (a personal field); 3 years
    later the name goes from every store that holds the entry, and the entry stays."""
    searched = cli("hu.dpo", "privacy", "subject", "--name", "Kiss Péter", "--format", "json")
    assert searched.code == 0, searched.err
    net.sync("hu.dpo", "hu.nco")
    for name in ("hu.dpo", "hu.nco"):
        assert tables_holding(net.stores[name], "Kiss Péter") == {"disclosures", "access_log"}, name
    clock.to(START + dt.timedelta(days=3 * 366), monkeypatch)
    assert cli("hu.dpo", "privacy", "run").code == 0
    net.sync("hu.nco")
    for name in ("hu.dpo", "hu.nco", "hub"):
        store = net.everyone[name]
        if name == "hub":
            from imi_cli.hub import housekeeping

            housekeeping.run_once(net.hub, None)
        assert tables_holding(store, "Kiss Péter") == set(), name
        entry = store.query("SELECT action, record FROM access_log WHERE action = 'subject.search'")
        assert len(entry) == 1 and "_erased" in entry[0][1], name
        assert verify_log(store.conn, store.meta("operator_key"))["problems"] == [], name
