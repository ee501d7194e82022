"""The hub from the command line: hub init/serve/invite, init --hub, sync, outbox,
message send/list, each as its own process against a served hub; and the exit codes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

PASS = "correct horse battery staple"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def env(tmp_path):
    e = dict(os.environ)
    e.update(IMI_PASSPHRASE=PASS, IMI_RUNTIME_DIR=str(tmp_path / "run"), LANG="C.UTF-8")
    return e


@pytest.fixture
def served(tmp_path, env, run_imi):
    """`imi hub init` then `imi hub serve` on a free loopback port."""
    hub = tmp_path / "hub.db"
    result = run_imi("--store", hub, "--json", "hub", "init", env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["operator_key"]
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-c", "from imi_cli.cli.app import run; run()", "--store", str(hub),
                             "hub", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(url + "/v1/info", timeout=0.5)
            break
        except httpx.TransportError:
            assert proc.poll() is None, proc.stderr.read().decode()
            time.sleep(0.05)
    yield hub, url
    proc.terminate()
    proc.wait(15)


def test_the_whole_flow_from_the_command_line(tmp_path, env, served, run_imi):
    hub, url = served
    ok = lambda r: (r.returncode == 0 or pytest.fail(r.stderr)) and r  # noqa: E731

    def imi(store, *args):
        return run_imi("--store", tmp_path / store, *args, env=env)

    def enrol(store, code):  # the code in the environment, never on the command line
        return run_imi("--store", tmp_path / store, "init", "--hub", url, env={**env, "IMI_INVITE": code})

    r = ok(run_imi("--store", hub, "--json", "hub", "invite", "--authority", "HU-NCO", "--country", "HU",
                   "--name", "NCO", "--email", "imi@example.hu", "--user", "hu.coord",
                   "--user-name", "Éva", "--user-email", "eva@example.hu", env=env))
    hu_code = json.loads(r.stdout)["code"]
    codes = tmp_path / "codes.tsv"
    ok(run_imi("--store", hub, "hub", "invite", "--authority", "IE-NCO", "--country", "IE", "--name", "NCO IE",
               "--email", "imi@example.ie", "--user", "ie.coord", "--user-name", "Seán",
               "--user-email", "s@example.ie", "--out", codes, env=env))
    assert oct(codes.stat().st_mode & 0o777) == "0o600"
    ie_code = codes.read_text().split("\t")[1].strip()
    r = ok(enrol("hu.db", hu_code))
    assert "Enrolled as hu.coord of HU-NCO" in r.stderr + r.stdout
    # the code is single-use
    r = enrol("again.db", hu_code)
    assert r.returncode == 10 and "invitation" in r.stderr
    assert not (tmp_path / "again.db").exists()
    ok(imi("ie.db", "init", "--hub", url, "--invite-file", codes))  # as `hub invite --out` wrote it
    ok(imi("hu.db", "authority", "register", "--id", "HU-MEK", "--country", "HU", "--name", "hu=Kamara",
           "--languages", "hu;en", "--areas", "professional-qualifications", "--email", "info@example.hu"))
    r = ok(imi("hu.db", "user", "add", "--id", "hu.kovacs", "--name", "Kovács Anna", "--email", "a@example.hu",
               "--authority", "HU-MEK", "--roles", "request_handler"))
    user_code = r.stdout.strip().split("\t")[1]
    r = ok(imi("hu.db", "--json", "outbox"))
    assert {row["state"] for row in json.loads(r.stdout)} == {"pending"}
    ok(imi("hu.db", "sync"))
    r = ok(imi("hu.db", "--json", "outbox", "--state", "accepted"))
    assert sorted(row["type"] for row in json.loads(r.stdout)) == ["authority.registered", "user.invited",
                                                                  "user.registered"]
    ok(imi("hu.db", "--json", "outbox", "--state", "pending"))
    # a coordinator acting outside its country: refused at once by the hub's own rules (exit
    # 10), naming the record, and nothing is queued
    r = imi("hu.db", "authority", "register", "--id", "IE-X", "--country", "IE", "--name", "en=X",
            "--languages", "en", "--areas", "services", "--email", "x@example.ie")
    assert r.returncode == 10, r.stderr
    assert "--id IE-X: not_allowed: hu.coord may not register authorities in IE for services" in r.stderr
    r = ok(imi("hu.db", "--json", "outbox", "--state", "pending"))
    assert json.loads(r.stdout) == []
    assert imi("hu.db", "authority", "show", "IE-X").returncode == 4
    ok(enrol("kovacs.db", user_code))
    ok(imi("ie.db", "sync"))
    ok(imi("ie.db", "message", "send", "--to", "HU-MEK", "--subject", "Diploma", "Please confirm."))
    r = ok(imi("ie.db", "--json", "sync"))
    assert json.loads(r.stdout)["accepted"] == 1
    ok(imi("kovacs.db", "sync"))
    r = ok(imi("kovacs.db", "--json", "message", "list"))
    assert [(m["from"], m["subject"]) for m in json.loads(r.stdout)] == [("IE-NCO", "Diploma")]
    ok(imi("hu.db", "sync"))
    r = ok(imi("hu.db", "--json", "message", "list"))
    assert json.loads(r.stdout) == []  # HU-NCO is not in the audience
    # inviting the same coordinator twice changes nothing; a lost key gets a new code instead
    # (the old store's key stops working once the new one is enrolled: this comes last)
    r = run_imi("--store", hub, "hub", "invite", "--authority", "IE-NCO", "--country", "IE", "--name", "X",
                "--email", "imi@example.ie", "--user", "ie.coord", "--user-name", "Seán",
                "--user-email", "s@example.ie", env=env)
    assert r.returncode == 6 and "registered already" in r.stderr
    again = json.loads(ok(run_imi("--store", hub, "--json", "hub", "reinvite", "ie.coord", env=env)).stdout)
    assert again["user"] == "ie.coord" and again["code"] != ie_code
    ok(enrol("ie-laptop.db", again["code"]))
    assert run_imi("--store", hub, "hub", "reinvite", "nobody", env=env).returncode == 4


def test_wrong_invitation_code_exits_10_with_a_clear_message(tmp_path, env, served, run_imi):
    _, url = served
    r = run_imi("--store", tmp_path / "x.db", "init", "--hub", url, env={**env, "IMI_INVITE": "0000-1111-2222-3333"})
    assert r.returncode == 10
    assert "invitation code is unknown, used or expired" in r.stderr
    assert not (tmp_path / "x.db").exists()


def test_hub_unreachable_exits_9(tmp_path, env, run_imi):
    url = f"http://127.0.0.1:{_free_port()}"
    r = run_imi("--store", tmp_path / "x.db", "init", "--hub", url, env={**env, "IMI_INVITE": "0000-1111"})
    assert r.returncode == 9 and "cannot be reached" in r.stderr
    assert not (tmp_path / "x.db").exists()
    r = run_imi("--store", tmp_path / "y.db", "init", "--hub", "http://example.org:1", env={**env, "IMI_INVITE": "x"})
    assert r.returncode == 2 and "loopback" in r.stderr
