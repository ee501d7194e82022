"""The one rule of who coordinates whom, used by the directory, the exchanges and the hub."""

from __future__ import annotations

from imi_cli.directory.coordination import covered_by, covers, sql_lookup


def test_who_covers_whom(directory_store):
    lookup = sql_lookup(directory_store.conn)

    def c(coordinator: str, target: str) -> bool:
        return covers(lookup, lookup(coordinator), lookup(target))

    # a national coordinator: every authority of its own country, itself, but no other
    # country's and no other national coordinator
    assert c("FR-NCO", "FR-SVC") and c("FR-NCO", "FR-ARCH") and c("FR-NCO", "FR-AC") and c("FR-NCO", "FR-NCO")
    assert not c("FR-NCO", "DE-SVC") and not c("FR-NCO", "DE-NCO") and not c("DE-NCO", "FR-SVC")
    # an area coordinator: plain authorities of its country whose areas are all its own
    assert c("FR-AC", "FR-SVC") and c("FR-AC", "FR-AC")
    assert not c("FR-AC", "FR-ARCH") and not c("FR-AC", "FR-BOTH") and not c("FR-AC", "FR-NCO")
    assert not c("FR-AC", "DE-SVC")
    # nobody covers nothing, and nothing covers anybody
    assert not covers(lookup, lookup("FR-NCO"), None) and not covers(lookup, None, lookup("FR-SVC"))
    # a plain authority coordinates nobody, not even itself
    assert not c("FR-SVC", "FR-SVC") and not c("FR-SVC", "FR-ARCH")


def test_a_coordinators_view_of_its_country(directory_store):
    assert covered_by(directory_store.conn, "FR-NCO") == ["FR-AC", "FR-ARCH", "FR-BOTH", "FR-SVC"]
    assert covered_by(directory_store.conn, "FR-AC") == ["FR-SVC"]
    assert covered_by(directory_store.conn, "FR-SVC") == []
    assert covered_by(directory_store.conn, "FR-NOWHERE") == []  # an unknown id covers nothing (and does not fail)


def test_an_unknown_id_is_no_authority(directory_store):
    lookup = sql_lookup(directory_store.conn)
    assert lookup("FR-NOWHERE") is None
