"""What reaches the terminal (issue 10, items 3 and 8): data another authority, a local user or
a file wrote is shown as text, never acts on the terminal, never breaks a view.

A store is built as a node's store would be after sync: authorities, users, requests and
messages whose every free field carries escape sequences (clear screen, window title, hidden
text, 8-bit CSI), bidirectional overrides, NUL, tab and newline, and rich markup (``[/]``,
``[link=...]``); then a request with values of the wrong type, as a store may hold from before
the hub checked types. Every view is run on a "terminal" (stdout and stderr claim to be a tty,
so rich draws tables with colour) and in a pipe (tab-separated lines)."""

from __future__ import annotations

import base64
import io
import json
import re
import sys

import pytest

from imi_cli.log.event import make_event, uuid7
from imi_cli.log.journal import append
from imi_cli.log.store import Store, derive_key, read_salt

PASSPHRASE = "terminal test passphrase"
ME, OTHER, EVIL = "HU-AUTH", "IE-AUTH", "DE-EVIL"
SET, QUESTIONS = "services-verify-provider", ["legally_established", "authorisation_status", "comments"]

# Everything a hostile string can do to a terminal or to rich, with letters that must survive.
HOSTILE = ("Árvíztűrő Ελλάδα Ó Súilleabháin "
           "\x1b[2J\x1b[H"  # clear the screen, cursor home
           "\x1b]0;pwned title\x07"  # set the window title
           "\x1b[8mhidden\x1b[0m"  # hide text
           "\u202eevil\u202c\u2066iso\u2069"  # right-to-left override, isolate
           "\x00nul\x9b31mcsi\x7f"  # NUL, 8-bit CSI, DEL
           "\ttab\nnewline\rcr\u2028ls "
           "[/] [bold]b[/bold] [link=https://evil.example/]click[/link]")
LETTERS = "Árvíztűrő Ελλάδα Ó Súilleabháin"
MARKUP = "[link=https://evil.example/]click[/link]"
# What may not reach the output: any ESC but rich's own colour (SGR), BEL, NUL, C1, DEL,
# bidirectional controls, line/paragraph separators, carriage return.
FORBIDDEN = re.compile("\x1b(?!\\[[0-9;]*m)|[\x00-\x08\x0b-\x0d\x0e-\x1a\x1c-\x1f\x7f-\x9f"
                       "\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _authority(ident: str, names: dict) -> dict:
    return {"id": ident, "kind": "authority", "country": ident[:2], "names": names, "languages": ["hu", "en"],
            "areas": {"services": [HOSTILE, "registration"]}, "email": "a@example.eu",
            "phone": HOSTILE, "address": HOSTILE, "website": "https://example.eu", "coordinator": None}


def _user(ident: str, authority: str, name: str) -> dict:
    return {"id": ident, "name": name, "email": "u@example.eu", "authority": authority,
            "roles": {"*": ["request_handler"]}}


def _build(path) -> dict:
    """The hostile store; returns the ids the tests look up."""
    from imi_cli.directory.records import check_authority, check_user

    store = Store.create(path, PASSPHRASE)
    actor = {"user": "hu.handler", "authority": ME}
    ids = {"hostile": uuid7(), "answered": uuid7(), "wrong": uuid7()}
    with store.transaction() as conn:
        events = []
        for ident in (ME, OTHER, EVIL):  # valid records first, then the hostile text put in
            record = check_authority({"id": ident, "country": ident[:2], "names": {"en": ident},
                                      "languages": "hu;en", "areas": "services", "email": "a@example.eu"}, "t", [])
            if ident == EVIL:
                record.update(_authority(ident, {"hu": HOSTILE, "en": HOSTILE + " en"}))
            events.append(make_event("authority.registered", actor=actor, payload={"authority": record},
                                     subject={"entity": f"authority/{ident}"}))
        for ident, authority, name in (("hu.handler", ME, "Kovács Éva"), ("de.evil", EVIL, HOSTILE)):
            user = check_user({"id": ident, "name": "x", "email": "u@example.eu", "authority": authority,
                               "roles": "request_handler"}, "t", [])
            user["name"] = name
            events.append(make_event("user.registered", actor=actor, payload={"user": user},
                                     subject={"entity": f"user/{ident}"}))
        events.append(make_event("message.sent", actor={"user": "de.evil", "authority": EVIL},
                                 payload={"from": EVIL, "to": ME, "subject": HOSTILE, "text": HOSTILE, "lang": "de"},
                                 subject={"entity": f"message/{uuid7()}"}))
        append(conn, events)
        for key in ("hostile", "answered", "wrong"):
            content = {"area": "services", "requester": EVIL, "responder": ME, "subject": HOSTILE,
                       "questionnaire": SET, "qversion": "1.0", "questions": QUESTIONS, "deadline": "2099-01-01",
                       "person": {"provider_name": HOSTILE, "profession": HOSTILE},
                       "comments": [{"text": HOSTILE, "lang": "de", "side": "requester"}],
                       "attachments": [{"name": HOSTILE, "content_b64": base64.b64encode(b"%PDF").decode()}]}
            steps = [("request.sent", {"request": content})]
            if key == "answered":
                steps += [("request.accepted", {}),
                          ("request.answered", {"answers": {"legally_established": "yes",
                                                            "authorisation_status": "valid",
                                                            "comments": {"text": HOSTILE, "lang": "hu"}},
                                                "lang": "hu", "attachments": []})]
            subject = {"entity": f"request/{ids[key]}"}
            append(conn, [make_event(t, actor={"user": "de.evil", "authority": EVIL}, payload=p, subject=dict(subject))
                          for t, p in steps])
        # Old data of the wrong types (the hub refuses these now; a store may still hold them).
        row = conn.execute("SELECT record FROM requests WHERE id = ?", (ids["wrong"],)).fetchone()
        record = json.loads(row[0])
        record.update({"deadline": "not-a-date", "person": {"provider_name": 42, "profession": ["a", HOSTILE],
                                                            "born": {"y": 1970}},
                       "comments": [{"text": HOSTILE}, HOSTILE, {"lang": "de"}],
                       "attachments": [{"name": 7}, "x"],
                       "answers": [{"values": {"legally_established": ["yes", 3], "comments": {"text": 5},
                                               "authorisation_status": {"odd": True}}}],
                       "reminders": [{"kind": "deadline_near", "key": "not-a-date"}, "junk"]})
        conn.execute("UPDATE requests SET deadline = 'not-a-date', subject = ?, record = ? WHERE id = ?",
                     (HOSTILE, json.dumps(record), ids["wrong"]))
        # What the hub said when it refused an event (its words may quote the event).
        event_id = conn.execute("SELECT id FROM events ORDER BY seq LIMIT 1").fetchone()[0]
        conn.execute("INSERT INTO outbox(event_id, state, reason, detail, updated_at) VALUES (?,?,?,?,?)",
                     (event_id, "rejected", HOSTILE, HOSTILE, "2027-01-01T00:00:00Z"))
        store.set_meta("authority_id", ME)
        store.set_meta("user_id", "hu.handler")
    store.close()
    return ids


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    path = tmp_path_factory.mktemp("hostile") / "store.db"
    ids = _build(path)
    return path, derive_key(PASSPHRASE, read_salt(path)), ids


class Terminal(io.StringIO):
    """A stream that says it is a terminal: rich draws tables, with colour."""

    def isatty(self) -> bool:
        return True


class Pipe(io.StringIO):
    def isatty(self) -> bool:
        return False


@pytest.fixture
def run(hostile, monkeypatch):
    """``run(kind, *args)``: `imi args...` on the hostile store, stdout and stderr a terminal or
    a pipe; returns (exit code, stdout, stderr)."""
    from imi_cli.cli.app import main
    from imi_cli.log.unlock import cache_key

    path, key, _ = hostile
    monkeypatch.setenv("IMI_STORE", str(path))
    monkeypatch.setenv("COLUMNS", "1000")  # one table row a line: the escapes are not wrapped
    monkeypatch.setenv("IMI_NOW", "2027-03-01T09:00:00Z")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TERM", raising=False)
    cache_key(path, key, 600)

    def go(kind: str, *args: str) -> tuple[int, str, str]:
        out, err = (Terminal(), Terminal()) if kind == "terminal" else (Pipe(), Pipe())
        monkeypatch.setattr(sys, "stdout", out)
        monkeypatch.setattr(sys, "stderr", err)
        try:
            code = main([str(a) for a in args])
        finally:
            monkeypatch.setattr(sys, "stdout", sys.__stdout__)
            monkeypatch.setattr(sys, "stderr", sys.__stderr__)
        return code, out.getvalue(), err.getvalue()

    return go


VIEWS = {
    "inbox": ("inbox",),
    "request list": ("request", "list"),
    "request show": ("request", "show", "{hostile}"),
    "request show (answered)": ("request", "show", "{answered}"),
    "request show (wrong types)": ("request", "show", "{wrong}"),
    "request export md": ("request", "export", "{answered}", "--format", "md"),
    "message list": ("message", "list"),
    "authority search": ("authority", "search", "--country", "DE"),
    "authority search text": ("authority", "search", "Árvíztűrő"),
    "authority show": ("authority", "show", EVIL),
    "user list": ("user", "list"),
    "user show": ("user", "show", "de.evil"),
    "outbox": ("outbox",),
}


def _check(code: int, out: str, err: str) -> None:
    assert code == 0, err
    assert "Traceback" not in err and "MarkupError" not in err
    for stream in (out, err):
        bad = FORBIDDEN.search(stream)
        where = bad and stream[max(0, bad.start() - 60):bad.start() + 20]
        assert bad is None, f"{bad.group()!r} reached the output: {where!r}"
    assert "\x1b]8;" not in out  # no clickable link made of data


@pytest.mark.parametrize("kind", ["terminal", "pipe"])
@pytest.mark.parametrize("view", list(VIEWS))
def test_hostile_text_does_not_act_on_the_terminal(run, hostile, view, kind):
    ids = hostile[2]
    code, out, err = run(kind, *(a.format(**ids) for a in VIEWS[view]))
    _check(code, out, err)
    # shown, as text a reader recognises: the escapes, the markup, the letters
    assert "\\x1b[2J" in out and "\\x07" in out and "\\u202e" in out and "\\x00" in out, out
    assert MARKUP in out and LETTERS in out


@pytest.mark.parametrize("view", ["inbox", "request list", "message list", "authority search", "user list",
                                  "outbox"])
def test_a_pipe_gets_one_line_a_row_and_one_tab_a_column(run, view):
    code, out, err = run("pipe", *VIEWS[view])
    _check(code, out, err)
    lines = out.splitlines()
    assert lines and len({line.count("\t") for line in lines}) == 1, lines
    assert all("\\t" in line and "\\n" in line for line in lines if "Árvíztűrő" in line)


def test_tab_separated_cells_read_back_exactly(run):
    code, out, _ = run("pipe", "message", "list")
    assert code == 0
    header, row = out.rstrip("\n").split("\n")
    assert header.split("\t")[3] == "subject"
    cells = row.split("\t")
    unescape = {"\\\\": "\\", "\\t": "\t", "\\n": "\n", "\\r": "\r"}
    subject = re.sub(r"\\\\|\\t|\\n|\\r|\\x([0-9a-f]{2})|\\u([0-9a-f]{4})",
                     lambda m: unescape.get(m.group()) or chr(int(m.group(1) or m.group(2), 16)), cells[3])
    assert subject == HOSTILE


@pytest.mark.parametrize("args", [("--json", "inbox"), ("--json", "request", "list"), ("--json", "message", "list"),
                                  ("--json", "request", "show", "{answered}"), ("--json", "authority", "show", EVIL),
                                  ("--json", "user", "list"), ("--json", "outbox")])
def test_json_is_escaped_and_means_the_same(run, hostile, args):
    code, out, err = run("terminal", *(a.format(**hostile[2]) for a in args))
    _check(code, out, err)
    assert any(HOSTILE in text for text in _strings(json.loads(out)))  # the same value, read back
    assert LETTERS in out  # letters stay letters, not \u escapes


def _strings(data):
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from _strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from _strings(value)


def test_wrong_types_are_shown_not_crashed_on(run, hostile):
    ids = hostile[2]
    code, out, err = run("terminal", "request", "show", ids["wrong"])
    _check(code, out, err)
    assert "deadline not-a-date" in out
    assert "provider_name: 42" in out and "born: y: 1970" in out
    assert "-> Yes; 3" in out and "-> odd: True" in out and "-> [?] 5" in out
    code, out, err = run("pipe", "request", "list")
    _check(code, out, err)
    assert any(ids["wrong"] in line and "not-a-date" in line for line in out.splitlines())
    code, out, err = run("terminal", "inbox")
    _check(code, out, err)
    # a terminal shows the id's shortest unique prefix (`imi request show` takes it back)
    assert any(len(word) >= 8 and ids["wrong"].startswith(word) for word in out.split()), out


def test_free_text_keeps_its_lines_indented_under_the_view(run, hostile):
    code, out, _ = run("terminal", "request", "show", hostile[2]["answered"])
    assert code == 0
    lines = out.splitlines()
    comment = next(i for i, line in enumerate(lines) if line.startswith("comment (requester) [de]:"))
    assert lines[comment + 1].startswith("    newline\\rcr\\u2028ls ")  # no line of it passes for a line of the view


def test_messages_on_stderr_are_never_markup(run, monkeypatch):
    """`imi message send --to X`: the id is quoted back; data never becomes markup or escapes."""
    from imi_cli.cli.output import message

    out = Terminal()
    monkeypatch.setattr(sys, "stderr", out)
    from imi_cli.cli.environment import Environment, activate, deactivate

    token = activate(Environment(stdout=Terminal(), stderr=out))
    try:
        message(f"rejected {HOSTILE}")
    finally:
        deactivate(token)
    text = out.getvalue()
    assert FORBIDDEN.search(text) is None and MARKUP in text and "[/]" in text and "\x1b]8;" not in text


def test_safe_text_keeps_letters_and_names_each_escape():
    from imi_cli.safe_text import json_text, safe_text, tsv_cell

    assert safe_text("Ó Súilleabháin, Árvíztűrő, Ελλάδα, Ħamrun, 🇪🇺") == "Ó Súilleabháin, Árvíztűrő, Ελλάδα, Ħamrun, 🇪🇺"
    assert safe_text("a\x1b[2Jb\x07\x00\u202e\x9b\t\n") == "a\\x1b[2Jb\\x07\\x00\\u202e\\x9b\\t\\n"
    assert safe_text("a\r\nb\nc\rd", multiline=True) == "a\nb\nc\\rd"
    assert safe_text(None) == "" and safe_text(["a", 1]) == "a, 1" and safe_text({"y": 1970}) == "y: 1970"
    assert tsv_cell("C:\\x\tb") == "C:\\\\x\\tb"
    assert json.loads(json_text(json.dumps("\x9b\u202eé", ensure_ascii=False))) == "\x9b\u202eé"


def test_an_error_quoting_input_does_not_act_on_the_terminal(run, tmp_path):
    folder = tmp_path / "po \x1b[2J\x1b]0;pwned\x07 \u202eevil"
    folder.mkdir()
    code, out, err = run("terminal", "questionnaire", "import-po", str(folder))
    assert code != 0 and "Traceback" not in err
    assert FORBIDDEN.search(err) is None and "\x1b" not in err, err
    assert "\\x1b[2J" in err and "\\u202e" in err


def test_catalog_findings_in_text_do_not_act_on_the_terminal(run, tmp_path):
    """`imi questionnaire validate` runs on catalogs proposed in pull requests."""
    catalog = tmp_path / "x \x1b]0;pwned\x07\u202e.yaml"
    catalog.write_text("id: [unclosed\n", encoding="utf-8")
    code, out, err = run("terminal", "questionnaire", "validate", "--format", "text", str(catalog))
    assert code != 0 and "Traceback" not in err and out
    assert FORBIDDEN.search(out) is None and FORBIDDEN.search(err) is None, out
    assert "\\x1b]0;pwned\\x07\\u202e" in out
