"""Updates that change only what they are given (`imi authority update`, `imi user update`),
deactivation (`imi authority deactivate | reactivate`, `imi user deactivate`), imports that
name what they created, updated and left out (`--prune`), list options with ',' or ';', and
`hub invite --name xx=... --invites`; on a store of its own and on a real hub, where the
coordinator of the authority's country may and another country's may not."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import pytest

FULL = ("authority", "register", "--id", "HU-EPK", "--country", "HU",
        "--name", "hu=Budapesti Építész Kamara", "--name", "en=Budapest Chamber of Architects",
        "--languages", "hu,en", "--areas", "professional-qualifications,services",
        "--competences", "professional-qualifications:építész;services:tervezés", "--email", "epk@example.hu",
        "--coordinator", "HU-NCO", "--phone", "+36 1 555 0100", "--website", "https://epk.example.hu")


def ok(result):
    assert result.code == 0, result.err
    return result


def shown(imi, ident: str) -> dict:
    return json.loads(ok(imi("--json", "authority", "show", ident)).out)


@pytest.fixture
def registered(unlocked, imi, examples) -> Path:
    """A store of its own with the example authorities and HU-EPK, every field of it given."""
    ok(imi("authority", "import", examples / "authorities.csv"))
    ok(imi(*FULL))
    return unlocked


# -- authority update ----------------------------------------------------------

def test_an_update_changes_only_what_it_is_given(registered, imi, event_count):
    before = shown(imi, "HU-EPK")
    events = event_count(registered)
    result = imi("authority", "update", "HU-EPK", "--email", "kamara@example.hu")
    assert (result.code, result.err) == (0, "Updated HU-EPK (queued: `imi sync` takes it to every store)\n")
    after = shown(imi, "HU-EPK")
    assert after == {**before, "email": "kamara@example.hu"}
    assert after["names"] == {"en": "Budapest Chamber of Architects", "hu": "Budapesti Építész Kamara"}
    assert (after["phone"], after["website"], after["coordinator"]) == \
        ("+36 1 555 0100", "https://epk.example.hu", "HU-NCO")
    assert after["areas"] == {"professional-qualifications": ["építész"], "services": ["tervezés"]}
    assert event_count(registered) == events + 1
    assert imi("authority", "update", "HU-EPK", "--email", "kamara@example.hu").err == \
        "HU-EPK: nothing to change\n"
    assert event_count(registered) == events + 1


def test_an_update_sets_one_name_removes_a_field_and_keeps_the_competences_of_kept_areas(registered, imi):
    ok(imi("authority", "update", "HU-EPK", "--name", "de=Architektenkammer Budapest", "--name", "en=",
           "--phone", "", "--areas", "professional-qualifications", "--no-requires-approval"))
    record = shown(imi, "HU-EPK")
    assert record["names"] == {"de": "Architektenkammer Budapest", "hu": "Budapesti Építész Kamara"}
    assert "phone" not in record and record["website"] == "https://epk.example.hu"
    assert record["areas"] == {"professional-qualifications": ["építész"]}
    ok(imi("authority", "update", "HU-EPK", "--competences", "kamara", "--requires-approval"))
    record = shown(imi, "HU-EPK")
    assert record["areas"] == {"professional-qualifications": ["kamara"]} and record["requires_approval"] is True


def test_bad_update_options_change_nothing(registered, imi, event_count):
    before, events = shown(imi, "HU-EPK"), event_count(registered)
    result = imi("authority", "update", "HU-EPK", "--languages", "hu,xx", "--areas", "nowhere")
    assert (result.code, result.err) == (5, (
        "imi: error: imi authority update HU-EPK: 2 problems; nothing was imported\n"
        "  imi authority update HU-EPK: [languages] 'xx' is not an IMI language code\n"
        "  imi authority update HU-EPK: [areas] 'nowhere' is not a legislative area (see `imi area list`)\n"))
    result = imi("authority", "update", "HU-EPK", "--coordinator", "HU-MEK")
    assert (result.code, result.err.splitlines()[-1]) == (5, "  imi authority update HU-EPK: [coordinator] "
                                                             "'HU-MEK' is not a coordinator")
    result = imi("authority", "update", "HU-EPK", "--name", "Kamara")
    assert (result.code, result.err.splitlines()[0]) == \
        (2, "imi: error: --name 'Kamara': write it as LANG=TEXT, e.g. en='Chamber of Architects'")
    result = imi("authority", "update", "HU-NONE", "--phone", "1")
    assert (result.code, result.err.splitlines()[0]) == (4, "imi: error: no authority 'HU-NONE' in this store")
    assert (shown(imi, "HU-EPK"), event_count(registered)) == (before, events)


def test_registering_an_id_again_with_fewer_fields_is_refused_and_wipes_nothing(registered, imi, event_count):
    before, events = shown(imi, "HU-EPK"), event_count(registered)
    result = imi("authority", "register", "--id", "HU-EPK", "--country", "HU", "--name", "hu=Kamara",
                 "--languages", "hu", "--areas", "services", "--email", "epk@example.hu")
    assert (result.code, result.err) == (
        6, "imi: error: HU-EPK is registered already; nothing was changed\n"
           "  hint: `imi authority update HU-EPK` changes only what you give (--name xx=..., --phone, --areas...)\n")
    assert (shown(imi, "HU-EPK"), event_count(registered)) == (before, events)
    assert imi(*FULL).err == "Imported authority: 0 created, 0 updated, 1 unchanged (nothing to change)\n"


def test_list_options_take_a_comma_or_a_semicolon(unlocked, imi, examples):
    ok(imi("authority", "import", examples / "authorities.csv"))
    common = ("--country", "HU", "--name", "hu=X", "--email", "x@example.hu")
    ok(imi("authority", "register", "--id", "HU-A1", *common, "--languages", "hu, en", "--areas", "services,"
           "professional-qualifications"))
    ok(imi("authority", "register", "--id", "HU-A2", *common, "--languages", "hu;en", "--areas", "services;"
           "professional-qualifications"))
    one, two = shown(imi, "HU-A1"), shown(imi, "HU-A2")
    assert one["languages"] == two["languages"] == ["hu", "en"]
    assert one["areas"] == two["areas"] == {"professional-qualifications": [], "services": []}
    ok(imi("user", "add", "--id", "hu.x", "--name", "X", "--email", "x@example.hu", "--authority", "HU-A1",
           "--roles", "administrator,services:request_handler"))
    roles = json.loads(ok(imi("--json", "user", "show", "hu.x")).out)["roles"]
    assert roles == {"*": ["administrator"], "services": ["request_handler"]}


# -- deactivate and reactivate ---------------------------------------------------

def test_a_deactivated_authority_is_left_out_of_searches_until_reactivated(registered, imi):
    def found(*args: str) -> list[str]:
        return [r["id"] for r in json.loads(ok(imi("--json", "authority", "search", *args)).out)]

    assert "HU-EPK" in found("Építész") and "HU-EPK" in found()
    result = imi("authority", "deactivate", "HU-EPK")
    assert (result.code, result.err) == (0, (
        "Deactivated HU-EPK: it is left out of searches and receives no new requests; its open requests stay "
        "with it (`imi request reassign ID --to AUTHORITY` moves one). Queued: `imi sync` takes it to every "
        "store\n"))
    assert "HU-EPK" not in found("Építész") and "HU-EPK" not in found() and "HU-EPK" not in found("--country", "HU")
    assert "HU-EPK" in found("Építész", "--include-deactivated") and "HU-EPK" in found("--include-deactivated")
    record = shown(imi, "HU-EPK")
    assert record["deactivated"] is True and record["phone"] == "+36 1 555 0100"  # nothing else changed
    assert "state\tdeactivated: left out of searches, receives no new requests\n" in \
        ok(imi("authority", "show", "HU-EPK")).out
    assert imi("authority", "deactivate", "HU-EPK").err == "HU-EPK: nothing to change\n"
    assert "Deactivate an authority" in ok(imi("authority", "deactivate", "--help")).out
    ok(imi("authority", "reactivate", "HU-EPK"))
    assert "HU-EPK" in found("Építész") and "deactivated" not in shown(imi, "HU-EPK")


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_an_export_keeps_a_deactivated_authority_deactivated(registered, imi, tmp_path, fmt, template, monkeypatch):
    ok(imi("authority", "deactivate", "HU-EPK"))
    exported = tmp_path / f"all.{fmt}"
    ok(imi("authority", "export", "--format", fmt, "-o", exported))
    fresh = tmp_path / "fresh.db"
    from imi_cli.log.unlock import cache_key

    shutil.copyfile(template.path, fresh)
    cache_key(fresh, template.key, 3600)
    monkeypatch.setenv("IMI_STORE", str(fresh))
    ok(imi("authority", "import", exported))
    assert shown(imi, "HU-EPK")["deactivated"] is True and "deactivated" not in shown(imi, "HU-MEK")


# -- user update and deactivate ----------------------------------------------------

@pytest.fixture
def users(unlocked, imi, examples) -> Path:
    ok(imi("authority", "import", examples / "authorities.csv"))
    ok(imi("user", "import", examples / "users.csv"))
    return unlocked


def user(imi, ident: str) -> dict:
    return json.loads(ok(imi("--json", "user", "show", ident)).out)


def test_a_user_update_changes_only_what_it_is_given(users, imi, event_count):
    before = user(imi, "hu.kovacs")
    assert before["roles"] == {"*": ["administrator", "request_handler"]}
    ok(imi("user", "update", "hu.kovacs", "--add-role", "professional-qualifications:supervisor",
           "--remove-role", "request_handler"))
    after = user(imi, "hu.kovacs")
    assert after == {**before, "roles": {"*": ["administrator"], "professional-qualifications": ["supervisor"]}}
    ok(imi("user", "update", "hu.kovacs", "--email", "Anna@Example.hu"))
    assert user(imi, "hu.kovacs") == {**after, "email": "anna@example.hu"}
    events = event_count(users)
    result = imi("user", "update", "hu.kovacs", "--remove-role", "supervisor", "--name", "Other")
    assert (result.code, result.err) == (2, "imi: error: nothing was changed\n"
                                            "  --remove-role: hu.kovacs does not hold the role 'supervisor'\n")
    result = imi("user", "update", "hu.kovacs", "--remove-role", "administrator", "--remove-role",
                 "professional-qualifications:supervisor")
    assert result.code == 5 and "[roles] needs at least one role" in result.err
    assert event_count(users) == events and user(imi, "hu.kovacs")["name"] == "Kovács Anna"


def test_user_deactivate_and_remove_say_what_becomes_of_the_exchanges(users, imi):
    result = imi("user", "deactivate", "hu.nagy")
    assert result.code == 0 and "their key is revoked and their unused invitation codes are void; their " \
        "authority's exchanges stay with it" in result.err
    assert imi("user", "deactivate", "hu.nagy").err == "hu.nagy is deactivated already\n"
    assert user(imi, "hu.nagy")["roles"] == {"professional-qualifications": ["allocator"]}  # the entry stays
    text = " ".join(ok(imi("user", "deactivate", "--help")).out.split())
    assert "imi hub reinvite" in text and "imi request allocate" in text
    result = imi("user", "remove", "hu.kovacs")
    assert result.err == ("Removed hu.kovacs: their key is revoked, their name and e-mail erased; their "
                          "authority's exchanges stay with it. Queued: `imi sync` takes it to every store\n")


# -- imports: what was left out, --prune --------------------------------------------

def test_an_import_names_what_the_file_left_out_and_prune_deactivates_it(unlocked, imi, examples, tmp_path,
                                                                         event_count):
    ok(imi("authority", "import", examples / "authorities.csv"))
    fewer = tmp_path / "fewer.csv"
    lines = (examples / "authorities.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    fewer.write_text("".join(line for line in lines if not line.startswith(("HU-MEK,", "DE-BAK,"))),
                     encoding="utf-8")
    result = imi("authority", "import", fewer)
    assert result.err == ("Imported authorities: 0 created, 0 updated, 3 unchanged (nothing to change)\n"
                          "Unchanged: HU-NCO, IE-NCO, IE-RIAI\n"
                          "Left out of the file, still active: DE-BAK, HU-MEK (`--prune` deactivates them; "
                          "try it with --dry-run)\n")
    events = event_count(unlocked)
    dry = imi("authority", "import", fewer, "--prune", "--dry-run")
    assert dry.err.splitlines()[-1] == "Would deactivate (left out of the file): DE-BAK, HU-MEK"
    assert event_count(unlocked) == events
    report = json.loads(ok(imi("--json", "authority", "import", fewer, "--prune")).out)
    assert (report["left_out"], report["deactivated"], report["ids"]["deactivated"]) == (2, 2, ["DE-BAK", "HU-MEK"])
    assert event_count(unlocked) == events + 2
    assert shown(imi, "HU-MEK")["deactivated"] is True
    again = json.loads(ok(imi("--json", "authority", "import", fewer, "--prune")).out)
    assert (again["left_out"], again["deactivated"]) == (0, 0)  # deactivated already: not left out again
    back = json.loads(ok(imi("--json", "authority", "import", examples / "authorities.csv")).out)
    # in the file again, without a `deactivated` cell: it stays deactivated (a routine re-import
    # never undoes its coordinator's decision); `authority reactivate` does that
    assert back["ids"]["updated"] == [] and shown(imi, "HU-MEK")["deactivated"] is True
    ok(imi("authority", "reactivate", "HU-MEK"))
    assert "deactivated" not in shown(imi, "HU-MEK")


def test_a_user_import_names_what_it_left_out_and_prune_deactivates_it(users, imi, examples, tmp_path):
    fewer = tmp_path / "users.csv"
    fewer.write_text("".join(line for line in (examples / "users.csv").read_text(encoding="utf-8")
                             .splitlines(keepends=True) if not line.startswith("hu.nagy,")), encoding="utf-8")
    report = json.loads(ok(imi("--json", "user", "import", fewer)).out)
    assert (report["ids"]["unchanged"], report["ids"]["left_out"]) == (["hu.kovacs", "ie.murphy"], ["hu.nagy"])
    result = imi("user", "import", fewer, "--prune")
    assert result.err.splitlines()[-1] == "Deactivated (left out of the file): hu.nagy"
    assert imi("user", "deactivate", "hu.nagy").err == "hu.nagy is deactivated already\n"
    assert json.loads(ok(imi("--json", "user", "import", fewer)).out)["left_out"] == 0


# -- hub invite: --name xx=, --invites (and the old --out, --name-lang) -------------

def test_hub_invite_takes_names_as_register_does_and_writes_codes_to_invites(tmp_path, imi, monkeypatch):
    monkeypatch.setenv("IMI_STORE", str(tmp_path / "hub.db"))
    monkeypatch.setenv("IMI_PASSPHRASE", "hub passphrase for tests")
    ok(imi("hub", "init"))
    codes = tmp_path / "codes.txt"
    ok(imi("hub", "invite", "--authority", "HU-NCO", "--country", "HU", "--name", "hu=IMI Nemzeti Koordinátor",
           "--name", "en=IMI National Coordinator", "--languages", "hu,en", "--areas", "services,"
           "professional-qualifications", "--email", "imi@example.hu", "--user", "hu.coord",
           "--user-name", "Kiss Béla", "--user-email", "bela@example.hu", "--invites", codes))
    ok(imi("hub", "invite", "--authority", "IE-NCO", "--country", "IE", "--name", "IMI Ireland", "--name-lang",
           "ga", "--languages", "ga;en", "--email", "imi@example.ie", "--user", "ie.coord", "--user-name", "Seán",
           "--user-email", "sean@example.ie", "--out", codes))
    ok(imi("hub", "reinvite", "hu.coord", "--out", codes))
    assert [line.split("\t")[0] for line in codes.read_text().splitlines()] == ["hu.coord", "ie.coord", "hu.coord"]
    assert shown(imi, "HU-NCO")["names"] == {"en": "IMI National Coordinator", "hu": "IMI Nemzeti Koordinátor"}
    assert shown(imi, "IE-NCO")["names"] == {"ga": "IMI Ireland"}
    assert shown(imi, "IE-NCO")["areas"] == {"professional-qualifications": [], "services": []}
    result = imi("hub", "reinvite", "hu.coord", "--out", codes, "--invites", tmp_path / "other.txt")
    assert result.code == 2 and "--invites and --out are one option" in result.err
    text = ok(imi("hub", "invite", "--help")).out
    assert "--invites" in text and "--out" not in text and "--name-lang" not in text


# -- on a real hub: the coordinator of the country may, another country's may not -----

def _hand_signed(network, name: str, type_: str, payload: dict, entity: str) -> dict:
    """An event signed by the store's key, past the node's own checks (as a modified node would)."""
    from imi_cli.log.crypto import Signer
    from imi_cli.log.event import make_event
    from imi_cli.log.journal import entity_version

    store = network.stores[name]
    me = {"user": store.meta("user_id"), "authority": store.meta("authority_id")}
    with network.hub.lock:
        version = entity_version(network.hub.store.conn, entity)
    event = make_event(type_, actor=me, payload=payload, subject={"entity": entity, "version": version},
                       audience=["*"])
    return Signer(me["user"], store.meta("private_key")).sign_event(event)


def _push(network, name: str, event: dict) -> dict:
    from imi_cli.sync.enrolment import client_for

    with client_for(network.stores[name]) as client:
        (result,) = client.push([event])
    return result


def test_on_the_hub_updates_and_deactivation_come_from_the_countrys_coordinator_only(network, cli):
    ident = f"HU-D{uuid.uuid4().hex[:8].upper()}"
    ok(cli("hu.nco", "authority", "register", "--id", ident, "--country", "HU", "--name", "hu=Próba Hivatal",
           "--name", "en=Test Office", "--languages", "hu,en", "--areas", "services", "--competences", "próba",
           "--email", "proba@example.hu", "--coordinator", "HU-NCO", "--phone", "+36 1 000", "--website",
           "https://proba.example.hu"))
    ok(cli("hu.nco", "authority", "update", ident, "--name", "de=Testamt"))
    ok(cli("hu.nco", "authority", "deactivate", ident))
    assert json.loads(ok(cli("hu.nco", "--json", "sync")).out)["accepted"] >= 3
    ok(cli("ie.handler", "sync"))
    seen = json.loads(ok(cli("ie.handler", "--json", "authority", "show", ident)).out)
    assert seen["names"] == {"de": "Testamt", "en": "Test Office", "hu": "Próba Hivatal"}
    assert (seen["phone"], seen["website"], seen["coordinator"], seen["areas"], seen["deactivated"]) == \
        ("+36 1 000", "https://proba.example.hu", "HU-NCO", {"services": ["próba"]}, True)
    hits = json.loads(ok(cli("ie.handler", "--json", "authority", "search", "Próba")).out)
    assert ident not in [h["id"] for h in hits]
    # another country's coordinator: refused by its own node, and by the hub past the node
    ok(cli("ie.nco", "sync"))
    result = cli("ie.nco", "authority", "reactivate", ident)
    assert result.code == 10 and "ie.nco may not register authorities in HU for services" in result.err
    event = _hand_signed(network, "ie.nco", "authority.updated", {"authority": {
        k: v for k, v in seen.items() if k != "deactivated"}}, f"authority/{ident}")
    refused = _push(network, "ie.nco", event)
    assert (refused["status"], refused["reason"]) == ("rejected", "not_allowed")
    assert "may not register authorities in HU" in refused["message"]
    result = cli("hu.nco", "authority", "deactivate", "HU-NCO")  # its own: for the hub's operator
    assert result.code == 10 and "hu.nco may not deactivate or reactivate its own authority" in result.err
    # a request to a deactivated authority is refused; reactivated, it goes
    rid = ok(cli("ie.handler", "request", "new", "--area", "services", "--to", ident, "--questionnaire",
                 "services-verify-provider", "--deadline", "2099-01-31", "--subject", "Check")).out.strip()
    result = cli("ie.handler", "request", "send", rid)
    assert result.code != 0 and f"{ident} is deactivated: it receives no new requests" in result.err
    ok(cli("hu.nco", "authority", "reactivate", ident))
    ok(cli("hu.nco", "sync"))
    ok(cli("ie.handler", "sync"))
    ok(cli("ie.handler", "request", "send", rid))
    assert json.loads(ok(cli("ie.handler", "--json", "sync")).out)["rejected"] == []


def test_on_the_hub_a_user_update_and_deactivation_come_from_a_coordinator_above_only(network, cli):
    ident = f"hu.u{uuid.uuid4().hex[:8]}"
    ok(cli("hu.nco", "user", "add", "--id", ident, "--name", "Próba Péter", "--email", f"{ident}@example.hu",
           "--authority", "HU-AUTH", "--roles", "request_handler"))
    ok(cli("hu.nco", "user", "update", ident, "--add-role", "allocator"))
    ok(cli("hu.nco", "sync"))
    hub_record = network.hub.store.query("SELECT record FROM users WHERE id = ?", (ident,))
    assert json.loads(hub_record[0][0])["roles"] == {"*": ["request_handler", "allocator"]}
    refused = _push(network, "ie.nco", _hand_signed(network, "ie.nco", "user.revoked",
                                                    {"user": ident, "authority": "HU-AUTH"}, f"user/{ident}"))
    assert (refused["status"], refused["reason"]) == ("rejected", "not_allowed")
    ok(cli("hu.nco", "user", "deactivate", ident))
    assert json.loads(ok(cli("hu.nco", "--json", "sync")).out)["rejected"] == []
    spent = network.hub.store.query("SELECT count(*) FROM invitations WHERE user_id = ? AND used_at IS NULL",
                                    (ident,))
    assert spent == [(0,)]  # the code it was given no longer enrols
