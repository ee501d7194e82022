"""`imi request attachment list|save` through the CLI on a real network: the other side saves a
request's and an answer's files byte for byte, a file is never overwritten without --force,
a content altered in the store is refused, a sender's hostile name stays in the folder, and a
blocked request's file is saved only by a data-protection officer with a logged reason."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import stat
import uuid

import pytest

from tests.cli.test_request import NEW, ok

ANSWERS = ("--answer", "legally_established=yes", "--answer", "authorisation_status=valid")


def _unique(text: str) -> bytes:
    """Content no other test attaches (the store keeps one row per sha256)."""
    return f"{text} {uuid.uuid4()}\n".encode()


def _sent(network, cli, *files) -> str:
    """A request from IE-AUTH to HU-AUTH carrying ``files``, sent and pulled by HU."""
    attach = [arg for f in files for arg in ("--attach", f)]
    rid = ok(cli("ie.handler", *NEW, *attach)).out.strip()
    ok(cli("ie.handler", "request", "send", rid))
    network.sync("ie.handler", "hu.handler")
    return rid


def _listed(cli, name, rid):
    return json.loads(ok(cli(name, "--json", "request", "attachment", "list", rid)).out)


def _log(store) -> list[tuple]:
    return store.query("SELECT user_id, action, entity FROM access_log ORDER BY at, id")


def test_the_other_side_saves_the_request_and_answer_files_byte_for_byte(network, cli, tmp_path, monkeypatch):
    diploma = bytes(range(256)) * 3 + _unique("%PDF-1.7")  # every byte value, NUL and ESC too
    (tmp_path / "diploma.pdf").write_bytes(diploma)
    rid = _sent(network, cli, tmp_path / "diploma.pdf")
    listed = _listed(cli, "hu.handler", rid[:8])  # a unique start of the id is enough
    assert listed == [{"index": 1, "name": "diploma.pdf", "size": len(diploma),
                       "sha256": hashlib.sha256(diploma).hexdigest(), "source": "request", "round": None,
                       "content": "held"}]
    before = _log(network.stores["hu.handler"])

    inbox = tmp_path / "hu"
    inbox.mkdir()
    monkeypatch.chdir(inbox)
    saved = ok(cli("hu.handler", "request", "attachment", "save", rid[:8], "diploma.pdf"))
    assert saved.err == f"Saved diploma.pdf ({len(diploma):,} bytes, sha256 checked) to diploma.pdf\n"
    assert (inbox / "diploma.pdf").read_bytes() == diploma
    assert stat.S_IMODE((inbox / "diploma.pdf").stat().st_mode) == 0o600  # personal data: the owner's only
    assert os.listdir(inbox) == ["diploma.pdf"]  # no temporary file left beside it
    assert _log(network.stores["hu.handler"]) == [*before, ("hu.handler", "request.attachment", f"request/{rid}")]

    # the responder answers with two files of one name; the requester tells them apart
    ok(cli("hu.handler", "request", "accept", rid))
    scans = [_unique("scan one"), _unique("scan two")]
    for n, content in enumerate(scans):
        (tmp_path / str(n)).mkdir()
        (tmp_path / str(n) / "scan.txt").write_bytes(content)
    ok(cli("hu.handler", "request", "answer", rid, *ANSWERS, "--attach", tmp_path / "0" / "scan.txt",
           "--attach", tmp_path / "1" / "scan.txt"))
    network.sync("hu.handler", "ie.handler")
    listed = _listed(cli, "ie.handler", rid)
    assert [(a["index"], a["name"], a["source"], a["round"]) for a in listed] == \
        [(1, "diploma.pdf", "request", None), (2, "scan.txt", "answer", 1), (3, "scan.txt", "answer", 1)]
    result = cli("ie.handler", "request", "attachment", "save", rid, "scan.txt")
    assert (result.code, result.err) == (2, f"imi: error: request {rid} has 2 attachments named 'scan.txt': "
                                            "give its number (2, 3) or the start of its sha256\n")
    assert cli("ie.handler", "request", "attachment", "save", rid, "-o", "-", "3").out == scans[1].decode()
    by_digest = ok(cli("ie.handler", "request", "attachment", "save", rid, listed[1]["sha256"][:6], "-o", "-"))
    assert by_digest.out == scans[0].decode()
    ok(cli("ie.handler", "request", "attachment", "save", rid, "1", "-o", tmp_path / "ie.pdf"))
    assert (tmp_path / "ie.pdf").read_bytes() == diploma
    missing = cli("ie.handler", "request", "attachment", "save", rid, "cv.pdf")
    assert (missing.code, missing.err) == (4, f"imi: error: request {rid} has no attachment 'cv.pdf'\n"
                                              "  hint: `imi request attachment list ID` lists them by name and "
                                              "number\n")


def test_an_existing_file_is_replaced_only_with_force(network, cli, tmp_path):
    content = _unique("licence")
    (tmp_path / "licence.txt").write_bytes(content)
    rid = _sent(network, cli, tmp_path / "licence.txt")
    mine = tmp_path / "mine.txt"
    mine.write_text("my own notes\n")
    log = len(_log(network.stores["hu.handler"]))

    refused = cli("hu.handler", "request", "attachment", "save", rid, "licence.txt", "-o", mine)
    assert (refused.code, refused.err) == (6, f"imi: error: {mine} already exists; nothing was written\n"
                                              "  hint: --force replaces it, or -o FILE names another file\n")
    assert mine.read_text() == "my own notes\n"
    assert len(_log(network.stores["hu.handler"])) == log  # nothing read, nothing logged
    ok(cli("hu.handler", "request", "attachment", "save", rid, "licence.txt", "-o", mine, "--force"))
    assert mine.read_bytes() == content and stat.S_IMODE(mine.stat().st_mode) == 0o600
    # a folder for -o: the attachment's name in it, and a link there is replaced, never followed
    folder = tmp_path / "case"
    folder.mkdir()
    (folder / "licence.txt").symlink_to(mine)
    refused = cli("hu.handler", "request", "attachment", "save", rid, "licence.txt", "-o", folder)
    assert refused.code == 6 and f"{folder / 'licence.txt'} already exists" in refused.err
    saved = json.loads(ok(cli("hu.handler", "--json", "request", "attachment", "save", rid, "licence.txt",
                              "-o", folder, "--force")).out)
    assert saved["saved"] == str(folder / "licence.txt") and saved["sha256"] == hashlib.sha256(content).hexdigest()
    assert not (folder / "licence.txt").is_symlink() and mine.read_bytes() == content


def test_a_content_altered_in_the_store_is_refused_and_nothing_written(network, cli, tmp_path):
    content = _unique("certificate")
    (tmp_path / "cert.txt").write_bytes(content)
    rid = _sent(network, cli, tmp_path / "cert.txt")
    digest = hashlib.sha256(content).hexdigest()
    store = network.stores["hu.handler"]
    with store.transaction() as conn:
        conn.execute("UPDATE request_attachments SET content = ? WHERE sha256 = ?",
                     (content.replace(b"certificate", b"certificatf"), digest))
    log = len(_log(store))
    out = tmp_path / "out"
    out.mkdir()

    refused = cli("hu.handler", "request", "attachment", "save", rid, "cert.txt", "-o", out)
    assert (refused.code, refused.err) == (
        1, f"imi: error: the stored content of 'cert.txt' of request {rid} does not match its sha256 {digest}: "
           "it was damaged or altered in this store; nothing was written\n"
           "  hint: `imi store rebuild` restores it from the signed log (`imi store verify` checks the log)\n")
    assert os.listdir(out) == [] and len(_log(store)) == log
    assert cli("hu.handler", "request", "attachment", "save", rid, "cert.txt", "-o", "-").out == ""

    ok(cli("hu.handler", "store", "rebuild"))  # as the hint says
    ok(cli("hu.handler", "request", "attachment", "save", rid, "cert.txt", "-o", out))
    assert (out / "cert.txt").read_bytes() == content


HOSTILE = {
    "../../../.bashrc": "_._._.bashrc",
    "..\\..\\evil.sh": "_._evil.sh",
    "-rf": "_rf",
    "invoice\u202efdp.exe": "invoice_fdp.exe",
    "a\x1b]0;owned\x07b.txt": "a_]0;owned_b.txt",
    "..": "attachment",
    "NUL.txt": "_NUL.txt",
    "Építész oklevél.pdf": "Építész oklevél.pdf",
}


def test_a_hostile_name_stays_in_the_folder_made_safe(network, cli, tmp_path, monkeypatch):
    """A sender names its file as it likes (the hub takes any text): the receiver's file is
    written in the current folder under a name with no path, no control characters."""
    from imi_cli.exchanges.requests import service

    real = service.read_attachment
    names = iter(HOSTILE)
    monkeypatch.setattr(service, "read_attachment", lambda path: {**real(path), "name": next(names)})
    files = []
    for n, name in enumerate(HOSTILE):
        files.append(tmp_path / f"f{n}")
        files[-1].write_bytes(_unique(name))
    rid = _sent(network, cli, *files)
    assert [a["name"] for a in _listed(cli, "hu.handler", rid)] == list(HOSTILE)

    inner = tmp_path / "a" / "b" / "c"
    inner.mkdir(parents=True)
    monkeypatch.chdir(inner)
    for n, name in enumerate(HOSTILE, 1):
        saved = ok(cli("hu.handler", "request", "attachment", "save", rid, str(n)))
        assert saved.err.endswith(f" to {HOSTILE[name]}\n"), name
        assert "\x1b" not in saved.err and "\u202e" not in saved.err
        assert (inner / HOSTILE[name]).read_bytes() == files[n - 1].read_bytes(), name
    assert sorted(os.listdir(inner)) == sorted(HOSTILE.values())
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == \
        sorted([f.name for f in files] + list(HOSTILE.values()))


def test_the_bytes_are_not_written_to_a_terminal(network, cli, tmp_path, monkeypatch):
    from imi_cli.cli.environment import environment

    (tmp_path / "x.txt").write_bytes(_unique("x"))
    rid = _sent(network, cli, tmp_path / "x.txt")
    monkeypatch.setattr(type(environment().stdout), "isatty", lambda self: True, raising=False)
    result = cli("hu.handler", "request", "attachment", "save", rid, "x.txt", "-o", "-")
    assert result.code == 2 and "not to a terminal" in result.err and result.out == ""


# -- blocked by the data-protection clock, on a network of its own (its clock moves on) ----------
START = dt.datetime(2027, 5, 3, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def privacy_net(tmp_path_factory):
    from tests.privacy.network import build

    net = build(tmp_path_factory.mktemp("attachments"), START)
    yield net
    net.close()


@pytest.fixture
def pcli(privacy_net, imi, monkeypatch):
    """`imi --store <name's store> ...` on the privacy network, at its clock."""
    from imi_cli.log.unlock import cache_key

    monkeypatch.setenv("IMI_NOW", privacy_net.clock.iso())

    def run(name, *args):
        store = privacy_net.stores[name]
        cache_key(store.path, privacy_net.key(store.path), 600)
        result = imi("--store", store.path, *args)
        assert "Traceback" not in result.err + result.out
        return result

    return run


def test_a_blocked_requests_file_is_saved_only_by_an_officer_with_a_reason(privacy_net, pcli, tmp_path,
                                                                          monkeypatch):
    from imi_cli.privacy.clock import add_months
    from tests.privacy.network import at
    from tests.privacy.steps import closed_request, count, hub_run

    net = privacy_net
    diploma = tmp_path / "oklevel.txt"
    diploma.write_bytes("Építész oklevél: Nagy Béla, született 1980. április 12.\n".encode())
    with at(net.clock):
        rid = closed_request(net, {"applicant_name": "Nagy Béla", "date_of_birth": "1980-04-12"},
                             attachment=diploma, holders=("ie.dpo",))
    ok(pcli("ie.handler", "request", "attachment", "save", rid, "oklevel.txt", "-o", tmp_path / "before.txt"))
    assert (tmp_path / "before.txt").read_bytes() == diploma.read_bytes()

    net.clock.to(add_months(START, 6) + dt.timedelta(minutes=1), monkeypatch)
    assert hub_run(net)["privacy_blocked"] == 1
    net.sync("ie.handler", "ie.dpo")
    listed = json.loads(ok(pcli("ie.handler", "--json", "request", "attachment", "list", rid)).out)
    assert [(a["name"], a["sha256"], a["content"]) for a in listed] == [("oklevel.txt", None, "blocked")]
    handler, officer = net.stores["ie.handler"], net.stores["ie.dpo"]
    logged = {name: count(net.stores[name], "access_log") for name in ("ie.handler", "ie.dpo")}

    target = tmp_path / "after.txt"
    for extra in ((), ("--reason", "the applicant asked for a copy")):
        refused = pcli("ie.handler", "request", "attachment", "save", rid, "oklevel.txt", "-o", target, *extra)
        assert (refused.code, refused.err) == (
            10, f"imi: error: the personal data of request {rid} is blocked (the data-protection clock, after its "
                "closure), its attachments with it\n"
                "  hint: a data-protection officer saves it with --reason WHY; the read is logged\n")
    no_reason = pcli("ie.dpo", "request", "attachment", "save", rid, "oklevel.txt", "-o", target)
    assert no_reason.code == 2 and "--reason: say why the data is needed" in no_reason.err
    assert not target.exists()
    assert {name: count(net.stores[name], "access_log") for name in logged} == logged

    reason = "court order 2027/118"
    ok(pcli("ie.dpo", "request", "attachment", "save", rid, "oklevel.txt", "-o", target, "--reason", reason))
    assert target.read_bytes() == diploma.read_bytes()
    assert officer.query("SELECT user_id, action, entity, record FROM access_log ORDER BY at DESC LIMIT 1")[0][:3] \
        == ("ie.dpo", "blocked.read", f"request/{rid}")
    assert reason in officer.query("SELECT record FROM access_log ORDER BY at DESC LIMIT 1")[0][0]
    # the read was rolled back: the store still holds the content blocked, not in its table
    assert count(officer, "request_attachments") == 0 and count(handler, "request_attachments") == 0

    # three years after the closure the content is erased everywhere: there is nothing to save
    net.clock.to(add_months(START, 36) + dt.timedelta(minutes=1), monkeypatch)
    assert hub_run(net)["privacy_erased"] == 1
    net.sync("ie.handler")
    erased = pcli("ie.handler", "request", "attachment", "save", rid, "oklevel.txt", "-o", tmp_path / "late.txt")
    assert (erased.code, erased.err) == (4, f"imi: error: the content of 'oklevel.txt' of request {rid} is erased: "
                                            "this store does not hold it\n")
    assert not (tmp_path / "late.txt").exists()
