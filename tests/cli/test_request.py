"""`imi request ...`, `imi inbox`, `imi stats` through the CLI against the stores of a real
network (hub on loopback): the classic case, and exact exit codes for refusals, never a traceback."""

from __future__ import annotations

import json


def ok(result):
    assert result.code == 0, result.err
    return result


NEW = ("request", "new", "--area", "services", "--to", "HU-AUTH", "--questionnaire", "services-verify-provider",
       "--questions", "legally_established,authorisation_status", "--deadline", "2099-01-31",
       "--subject", "Provider check", "--person", "provider_name=Nagy Kft.")


def test_the_classic_case_through_the_cli(network, cli):
    rid = ok(cli("ie.handler", *NEW)).out.strip()
    ok(cli("ie.handler", "request", "send", rid))
    assert json.loads(ok(cli("ie.handler", "--json", "sync")).out)["accepted"] >= 2
    ok(cli("hu.handler", "sync"))
    rows = json.loads(ok(cli("hu.handler", "request", "list", "--json", "--direction", "incoming")).out)
    mine = [r for r in rows if r["id"] == rid]
    assert [(r["state"], r["direction"], r["requester"], r["days_left"] is not None) for r in mine] == \
        [("sent", "incoming", "IE-AUTH", True)]
    shown = ok(cli("hu.handler", "request", "show", rid, "--lang", "hu")).out
    assert "Jogszerűen letelepedett-e Nagy Kft. az Ön tagállamában?" in shown
    assert "( ) Igen" in shown and "( ) Érvényes" in shown
    inbox = ok(cli("hu.handler", "--json", "inbox")).out
    assert [i["action"] for i in json.loads(inbox) if i["id"] == rid] == ["accept or forward"]
    assert rid in ok(cli("hu.handler", "inbox")).out
    ok(cli("hu.handler", "request", "accept", rid))
    ok(cli("hu.handler", "--lang", "hu", "request", "answer", rid, "--answer", "legally_established=no",
           "--answer", "authorisation_status=suspended"))
    ok(cli("hu.handler", "sync"))
    ok(cli("ie.handler", "sync"))
    shown = ok(cli("ie.handler", "request", "show", rid)).out
    assert "-> No" in shown and "-> Suspended" in shown
    view = json.loads(ok(cli("ie.handler", "--json", "request", "show", rid, "--lang", "hu")).out)
    assert [q["answer"] for q in view["questions"]] == ["Nem", "Felfüggesztett"]
    ok(cli("ie.handler", "request", "close", rid, "--timeliness", "5", "--quality", "4"))
    rows = json.loads(ok(cli("ie.handler", "request", "list", "--json", "--state", "closed")).out)
    assert rid in [r["id"] for r in rows]
    exported = ok(cli("ie.handler", "request", "export", rid, "--format", "md")).out
    assert exported.startswith("# Provider check") and "- State: closed" in exported
    assert json.loads(ok(cli("ie.handler", "request", "export", rid, "--format", "json")).out)["state"] == "closed"
    ok(cli("hu.nco", "sync"))
    stats = json.loads(ok(cli("hu.nco", "--json", "stats")).out)
    assert any(s["authority"] == "HU-AUTH" and s["area"] == "services" for s in stats["requests"])
    assert (stats["alerts"], stats["notifications"]) == ([], [])


def test_refusals_have_exact_exit_codes(network, cli):
    rid = ok(cli("ie.handler", *NEW)).out.strip()
    result = cli("ie.handler", "request", "close", rid, "--timeliness", "3", "--quality", "3")
    assert (result.code, result.err) == (10, "imi: error: cannot close a request that is draft\n"
                                             "  hint: what can be done now: approve, send, withdraw\n")
    result = cli("hu.handler", "request", "show", rid)  # a draft never leaves its authority
    assert result.code == 4 and result.err.startswith(f"imi: error: no request '{rid}' here")
    ok(cli("ie.handler", "request", "send", rid))
    network.sync("ie.handler", "hu.handler")
    result = cli("ie.handler", "request", "accept", rid)
    assert (result.code, result.err) == (10, "imi: error: only the responder (HU-AUTH) may accept this request\n")
    result = cli("hu.handler", "request", "answer", rid, "--answer", "legally_established=yes")
    assert (result.code, result.err) == (10, "imi: error: cannot answer a request that is sent\n"
                                             "  hint: what can be done now: accept, forward, reassign, withdraw\n")
    ok(cli("hu.handler", "request", "accept", rid))
    result = cli("hu.handler", "request", "answer", rid, "--answer", "legally_established=maybe")
    assert result.code == 5
    assert result.err.startswith("imi: error: the answers do not fit question set 'services-verify-provider'")
    assert "legally_established" in result.err and "authorisation_status" in result.err
    result = cli("hu.alloc", "request", "accept", rid)
    assert result.code == 4  # hu.alloc has not synced it yet
    network.sync("hu.handler", "hu.alloc")
    result = cli("hu.alloc", "request", "answer", rid, "--answer", "legally_established=yes",
                 "--answer", "authorisation_status=valid")
    assert (result.code, result.err) == \
        (10, "imi: error: to answer a request you need the role request_handler in services\n")
    ok(cli("hu.handler", "request", "answer", rid, "--answer", "legally_established=yes",
           "--answer", "authorisation_status=valid"))
    network.sync("hu.handler", "ie.handler")
    result = cli("ie.handler", "request", "close", rid, "--timeliness", "6", "--quality", "3")
    assert (result.code, result.err) == (2, "imi: error: --timeliness is a rating from 1 to 5\n")
    result = cli("ie.handler", "request", "withdraw", rid)
    assert (result.code, result.err) == (10, "imi: error: cannot withdraw a request that is answered\n"
                                             "  hint: what can be done now: more, close\n")
    result = cli("ie.handler", "request", "export", rid, "--format", "pdf")
    assert (result.code, result.err) == (2, "imi: error: --format 'pdf': use json or md\n")
    result = cli("ie.handler", "request", "show", "no-such-request")
    assert result.code == 4
    result = cli("ie.handler", "request", "new", "--area", "services", "--to", "NOWHERE", "--questionnaire",
                 "services-verify-provider", "--deadline", "2099-01-31", "--subject", "x")
    assert result.code == 5 and "no authority 'NOWHERE' in the directory" in result.err
    result = cli("ie.handler", "request", "new", "--area", "services", "--to", "HU-AUTH", "--questionnaire",
                 "services-verify-provider", "--deadline", "31/01/2099", "--subject", "x")
    assert (result.code, result.err.splitlines()[0]) == \
        (2, "imi: error: --deadline '31/01/2099' is not a date as YYYY-MM-DD")
    ok(cli("ie.handler", "request", "close", rid, "--timeliness", "5", "--quality", "3"))


def test_a_long_list_shows_the_most_recently_active_first_and_says_there_is_more(network, cli):
    first = ok(cli("ie.handler", *NEW)).out.strip()
    second = ok(cli("ie.handler", *NEW)).out.strip()
    every = json.loads(ok(cli("ie.handler", "request", "list", "--json", "--all")).out)
    assert len(every) >= 2 and {first, second} <= {r["id"] for r in every}
    shown = ok(cli("ie.handler", "request", "list", "--json", "--limit", "1"))
    assert [r["id"] for r in json.loads(shown.out)] == [every[0]["id"]]
    assert "the 1 most recently active is shown; --limit N or --all for more" in shown.err
    whole = ok(cli("ie.handler", "request", "list", "--json", "--limit", str(len(every))))
    assert json.loads(whole.out) == every and "most recently active are shown" not in whole.err
    assert cli("ie.handler", "request", "list", "--limit", "0").code == 2
