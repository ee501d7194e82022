"""The minimal directory between two countries on a real hub: another authority's users are
known by id, authority and key only; names and e-mails reach the user's own authority and the
coordinators above it, and a store drops at its next sync what it may no longer hold."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from imi_cli.commands.user import _row
from imi_cli.demo.network import THIRD, _sync
from imi_cli.directory.authorities import Directory
from imi_cli.directory.minimal import CHECKED, forget_out_of_reach, reaches, settle
from imi_cli.directory.users import Users
from imi_cli.log import redaction
from imi_cli.log.crypto import Signer
from imi_cli.log.disclosures import WITHHELD
from imi_cli.log.event import make_event
from imi_cli.log.journal import entity_version
from imi_cli.sync.enrolment import client_for

# (name, e-mail) of each user of the `pair` network, and the colleagues the tests add
KOVACS = ("Kovács Anna", "anna@example.hu")            # HU-MEK
MURPHY = ("Siobhán Murphy", "s.murphy@example.ie")     # IE-RIAI
HU_COORD = ("Coordinator HU", "coord@example.hu")      # HU-NCO
IE_COORD = ("Coordinator IE", "coord@example.ie")      # IE-NCO
BYRNE = ("Aoife Byrne", "a.byrne@example.ie")          # IE-RIAI, added here
SZABO = ("Szabó Péter", "p.szabo@example.hu")          # HU-MEK, added here


def _add(coordinator: Any, ident: str, person: tuple[str, str], authority: str, roles: str = "request_handler") -> None:
    Users(coordinator).register([("t", {"id": ident, "name": person[0], "email": person[1],
                                        "authority": authority, "roles": roles})])
    assert _sync(coordinator).rejected == []


def _spellings(value: str) -> list[str]:
    """How a value may be written in a store: as it is, and JSON-escaped (ASCII only)."""
    return sorted({value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]})


def _decoded(value: Any) -> str:
    """A cell as text; a base64url disclosure also decoded (its JSON [salt, key, value])."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    text = str(value)
    if isinstance(value, str) and value and "=" not in value and " " not in value:
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
            return text + " " + raw.decode("utf-8")
        except (binascii.Error, ValueError, UnicodeError):
            pass
    return text


def _everything(store: Any) -> str:
    """Every cell of every table of the store, read through its own connection."""
    tables = [t for (t,) in store.query("SELECT name FROM sqlite_master WHERE type = 'table'")]
    assert {"users", "events", "disclosures", "meta", "authority_fts"} <= set(tables)
    cells = []
    for table in tables:
        for row in store.query(f'SELECT * FROM "{table}"'):
            cells += [_decoded(v) for v in row if v is not None]
    return "\n".join(cells)


def _holds(store: Any, *people: tuple[str, str]) -> list[str]:
    text = _everything(store)
    return [s for person in people for value in person for s in _spellings(value) if s in text]


def _pulled(store: Any) -> str:
    """Everything the hub sends this store's user from the start of the log, disclosures decoded."""
    with client_for(store) as client:
        page = client.pull(0, 5000)
    return "\n".join(json.dumps(item["event"]) + " " + " ".join(_decoded(d) for d in item["event"].get(
        "disclosures", [])) for item in page["events"])


def test_an_official_holds_its_colleagues_names_and_no_other_authoritys(pair):
    _add(pair.coords["IE"], "ie.byrne", BYRNE, "IE-RIAI")
    _add(pair.coords["HU"], "hu.szabo", SZABO, "HU-MEK")  # after the officials' first sync
    ie = pair.users["IE"]
    assert _sync(ie).rejected == []
    # its own authority's users, whole
    assert _holds(ie, MURPHY, BYRNE) != []
    assert dict(ie.query("SELECT id, name FROM users WHERE authority_id = 'IE-RIAI'")) == {
        "ie.murphy": MURPHY[0], "ie.byrne": BYRNE[0]}
    # everyone else's, by id, authority and key only: in no table, decoded disclosures included
    assert _holds(ie, KOVACS, SZABO, HU_COORD, IE_COORD) == []
    assert _holds(pair.users["HU"], MURPHY, BYRNE, IE_COORD, HU_COORD) == []
    others = {u["id"]: u for u in Users(ie).list() if u["authority"] != "IE-RIAI"}
    assert set(others) == {"hu.kovacs", "hu.szabo", "hu.coord", "ie.coord"}
    assert others["hu.kovacs"] == {"id": "hu.kovacs", "authority": "HU-MEK",
                                   "roles": {"*": ["administrator", "request_handler"]}}
    assert ie.query("SELECT public_key IS NOT NULL FROM principals WHERE user_id = 'hu.kovacs'") == [(1,)]
    assert ie.query("SELECT name, email FROM users WHERE id = 'hu.kovacs'") == [("", "")]
    # and the hub never sent them: the event came without its disclosures
    assert not any(s in _pulled(ie) for person in (KOVACS, SZABO, HU_COORD) for v in person for s in _spellings(v))
    (body,) = [json.loads(b) for (b,) in ie.query("SELECT body FROM events WHERE type = 'user.registered' "
                                                  "AND json_extract(body, '$.payload.user.id') = 'hu.kovacs'")]
    (shown,) = redaction.stored_revealed(ie.conn, [body])
    assert shown["payload"]["user"][WITHHELD] == 2 and "name" not in shown["payload"]["user"]
    # the views say so instead of failing
    row = _row(Users(ie).get("hu.kovacs"))
    assert (row["name"], row["email"]) == ("[withheld]", "[withheld]")
    assert _row(Users(ie).get("ie.byrne"))["name"] == BYRNE[0]


def test_a_coordinator_holds_the_names_of_the_authorities_it_covers(pair):
    _add(pair.coords["IE"], "ie.byrne", BYRNE, "IE-RIAI")
    for store in pair.coords.values():
        assert _sync(store).rejected == []
    hu, ie = pair.coords["HU"], pair.coords["IE"]
    assert dict(hu.query("SELECT id, name FROM users WHERE authority_id LIKE 'HU-%'")) == {
        "hu.coord": HU_COORD[0], "hu.kovacs": KOVACS[0]}
    assert dict(ie.query("SELECT id, email FROM users WHERE authority_id LIKE 'IE-%'")) == {
        "ie.coord": IE_COORD[1], "ie.murphy": MURPHY[1], "ie.byrne": BYRNE[1]}
    assert _holds(hu, KOVACS, HU_COORD) != []
    assert _holds(hu, MURPHY, BYRNE, IE_COORD) == [] and _holds(ie, KOVACS, HU_COORD) == []
    # the hub keeps everything; the bodies it signed or sequenced hold digests, not the names
    hub = pair.hub.store
    assert dict(hub.query("SELECT id, name FROM users WHERE id IN ('hu.coord', 'ie.byrne')")) == {
        "hu.coord": HU_COORD[0], "ie.byrne": BYRNE[0]}
    bodies = {json.loads(b)["payload"]["user"]["id"]: json.loads(b) for (b,) in hub.query(
        "SELECT body FROM events WHERE type = 'user.registered'")}
    for ident in ("hu.coord", "ie.coord", "hu.kovacs", "ie.byrne"):  # the operator's, a coordinator's import
        assert set(bodies[ident]["payload"]["user"]) == {"id", "authority", "roles", "_sd"}, ident
        assert len(bodies[ident]["payload"]["user"]["_sd"]) == 2
    assert bodies["hu.coord"]["signature"]["by"] == "operator"


def test_a_store_drops_at_its_next_sync_what_it_may_no_longer_hold(pair):
    ie = pair.users["IE"]
    # an older store: the disclosures of hu.kovacs's registration, the name in its tables, and
    # no mark of ever having settled its directory
    event_id, entity = pair.hub.store.query(
        "SELECT id, json_extract(body, '$.subject.entity') FROM events WHERE type = 'user.registered' "
        "AND json_extract(body, '$.payload.user.id') = 'hu.kovacs'")[0]
    old = pair.hub.store.query("SELECT digest, disclosure FROM disclosures WHERE event_id = ?", (event_id,))
    assert len(old) == 2
    record = {"id": "hu.kovacs", "name": KOVACS[0], "email": KOVACS[1], "authority": "HU-MEK",
              "roles": {"*": ["administrator", "request_handler"]}}
    with ie.transaction() as conn:
        conn.executemany("INSERT INTO disclosures(event_id, digest, entity, disclosure) VALUES (?,?,?,?)",
                         [(event_id, d, entity, text) for d, text in old])
        conn.execute("UPDATE users SET name = ?, email = ?, record = ? WHERE id = 'hu.kovacs'",
                     (*KOVACS, json.dumps(record, ensure_ascii=False)))
        conn.execute("DELETE FROM meta WHERE key = ?", (CHECKED,))
    assert _holds(ie, KOVACS) != []
    assert _sync(ie).rejected == []
    assert _holds(ie, KOVACS) == []
    assert ie.query("SELECT count(*) FROM disclosures WHERE event_id = ?", (event_id,)) == [(0,)]
    assert Users(ie).get("hu.kovacs") == {k: v for k, v in record.items() if k not in ("name", "email")}
    assert _holds(ie, MURPHY) != []  # its own stay
    with ie.transaction() as conn:  # once settled: nothing to do, and nothing done
        assert settle(conn, "IE-RIAI") == 0 and forget_out_of_reach(conn, "IE-RIAI") == 0


def test_a_user_moved_away_leaves_its_old_colleagues_stores_at_their_next_sync(pair):
    hu_coord, kovacs = pair.coords["HU"], pair.users["HU"]
    _add(hu_coord, "hu.szabo", SZABO, "HU-MEK")
    Directory(hu_coord).register_authorities([("t", THIRD[0])])  # HU-OH
    assert _sync(hu_coord).rejected == [] and _sync(kovacs).rejected == []
    assert kovacs.query("SELECT name FROM users WHERE id = 'hu.szabo'") == [(SZABO[0],)]
    _add(hu_coord, "hu.szabo", SZABO, "HU-OH")  # a user.updated: the coordinator covers both
    assert _sync(kovacs).rejected == []
    assert _holds(kovacs, SZABO) == []
    assert kovacs.query("SELECT authority_id, name FROM users WHERE id = 'hu.szabo'") == [("HU-OH", "")]
    assert hu_coord.query("SELECT authority_id, name FROM users WHERE id = 'hu.szabo'") == [("HU-OH", SZABO[0])]


def test_the_hub_refuses_a_user_registered_with_the_name_in_plain(pair):
    store = pair.coords["HU"]
    me = {"user": store.meta("user_id"), "authority": store.meta("authority_id")}
    user = {"id": "hu.plain", "name": "Plain Name", "email": "plain@example.hu", "authority": "HU-MEK",
            "roles": {"*": ["request_handler"]}}
    with pair.hub.lock:
        version = entity_version(pair.hub.store.conn, "user/hu.plain")
    event = make_event("user.registered", actor=me, payload={"user": user},
                       subject={"entity": "user/hu.plain", "version": version}, audience=["*"])
    signed = Signer(me["user"], store.meta("private_key")).sign_event(event)
    with client_for(store) as client:
        (result,) = client.push([signed])
    assert (result["status"], result["reason"]) == ("rejected", "invalid"), result
    assert "personal data in plain: payload.user.name, payload.user.email" in result["message"]
    assert "Plain Name" not in result["message"] and "plain@example.hu" not in result["message"]
    assert pair.hub.store.query("SELECT count(*) FROM users WHERE id = 'hu.plain'") == [(0,)]


def test_an_erased_user_is_folded_again_without_its_name(pair):
    ie = pair.coords["IE"]
    _add(ie, "ie.byrne", BYRNE, "IE-RIAI")
    with ie.transaction() as conn:
        assert redaction.erase(conn, entity="user/ie.byrne")
    assert ie.query("SELECT name, email, authority_id FROM users WHERE id = 'ie.byrne'") == [("", "", "IE-RIAI")]
    assert _holds(ie, BYRNE) == []


def test_reach_is_the_coordination_rule(pair):
    base = {"country": "HU", "languages": "hu", "email": "x@example.hu"}
    Directory(pair.coords["HU"]).register_authorities([
        ("t", {"id": "HU-AC", "names": {"hu": "AC"}, "kind": "area_coordinator", "areas": "services", **base}),
        ("t", {"id": "HU-S", "names": {"hu": "S"}, "areas": "services", "coordinator": "HU-AC", **base})])
    assert _sync(pair.coords["HU"]).rejected == []
    conn = pair.hub.store.conn
    with pair.hub.lock:
        held = {(reader, of): reaches(conn, reader, of) for reader, of in (
            ("HU-MEK", "HU-MEK"), ("HU-NCO", "HU-MEK"), ("HU-NCO", "HU-S"), ("HU-NCO", "HU-AC"), ("HU-AC", "HU-S"),
            ("HU-AC", "HU-MEK"), ("HU-AC", "HU-NCO"), ("HU-MEK", "HU-NCO"), ("IE-NCO", "HU-MEK"), (None, "HU-MEK"))}
    assert {case for case, yes in held.items() if yes} == {
        ("HU-MEK", "HU-MEK"), ("HU-NCO", "HU-MEK"), ("HU-NCO", "HU-S"), ("HU-NCO", "HU-AC"), ("HU-AC", "HU-S")}
