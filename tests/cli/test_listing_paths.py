"""The query paths of `imi inbox` and `imi request list` (issue 17, item 6): filtering and paging
in SQL, the coordinated authorities in one query, JSON written row by row. Each gives what the
straightforward way gives (every row read and filtered in Python, the whole list dumped at once),
on a store of a few hundred requests in every state, with reminders, among several authorities."""

from __future__ import annotations

import datetime as dt
import io
import json
import random

import pytest

from imi_cli.bulk.exports import to_json
from imi_cli.cli import output
from imi_cli.directory.coordination import COORDINATOR_KINDS, covered_by, covers, sql_lookup
from imi_cli.exchanges.requests.labels import ACTIONS, follow_up
from imi_cli.exchanges.requests.lifecycle import OPEN_STATES
from imi_cli.exchanges.requests.views import _in_force, inbox, list_requests
from imi_cli.safe_text import json_text

NOW = "2027-06-01T10:00:00Z"
TODAY = dt.date(2027, 6, 1)
ME, NCO, AREA_CO = "HU-AUTH", "HU-NCO", "HU-ACO"
PATHS = {"sent": [], "accepted": ["accepted"], "answered": ["accepted", "answered"],
         "closed": ["accepted", "answered", "closed"], "info_requested": ["accepted", "answered", "info_requested"],
         "withdrawn": ["withdrawn"]}


def _authorities() -> list[dict]:
    """A directory where every branch of the coordination rule is taken: a national and an area
    coordinator of HU, another national coordinator of HU, an area coordinator under the area one,
    plain authorities whose areas are within, beyond or beside the area coordinator's, and the
    same kinds in another country."""
    from imi_cli.directory.records import check_authority

    def one(ident, country, areas, kind=None):
        raw = {"id": ident, "country": country, "names": {"en": ident}, "languages": "en", "areas": areas,
               "email": f"{ident.lower()}@example.eu"}
        if kind:
            raw["kind"] = kind
        return check_authority(raw, "test", [])

    return [one(NCO, "HU", "services", "national_coordinator"),
            one("HU-NCO2", "HU", "services", "national_coordinator"),
            one(AREA_CO, "HU", "services;professional-qualifications", "area_coordinator"),
            one("HU-ACO-SMALL", "HU", "services", "area_coordinator"),
            one(ME, "HU", "services"),
            one("HU-WITHIN", "HU", "professional-qualifications"),
            one("HU-BOTH", "HU", "services;professional-qualifications"),
            one("HU-BEYOND", "HU", "services;posting-of-workers"),
            one("HU-OTHER", "HU", "public-procurement"),
            one("IE-NCO", "IE", "services", "national_coordinator"),
            one("IE-AUTH", "IE", "services"),
            one("DE-AUTH", "DE", "services;professional-qualifications"),
            one("MT-NCO", "MT", "services", "national_coordinator")]  # no request at all: an empty inbox


@pytest.fixture
def store(unlocked, open_raw, monkeypatch):
    """The unlocked store, with the directory above and 300 requests between its authorities in
    every state, a third with reminders (some no longer in force), some drafts; opened in process."""
    from imi_cli.directory.records import check_user
    from imi_cli.log.event import make_event, uuid7
    from imi_cli.log.journal import append

    monkeypatch.setenv("IMI_NOW", NOW)
    rng = random.Random(17)
    records = _authorities()
    ids = [r["id"] for r in records if r["id"] != "MT-NCO"]
    actor = {"user": "hu.handler", "authority": ME}
    opened = open_raw(unlocked)
    with opened.transaction() as conn:
        events = [make_event("authority.registered", actor=actor, payload={"authority": r},
                             subject={"entity": f"authority/{r['id']}"}) for r in records]
        user = check_user({"id": "hu.handler", "name": "H", "email": "h@example.eu", "authority": ME,
                           "roles": "request_handler"}, "test", [])
        events.append(make_event("user.registered", actor=actor, payload={"user": user},
                                 subject={"entity": "user/hu.handler"}))
        append(conn, events)
        for i in range(300):
            requester, responder = rng.sample(ids, 2)
            if rng.random() < 0.4:  # most of them are ours, either way
                requester, responder = (ME, responder) if rng.random() < 0.5 else (requester, ME)
            deadline = (TODAY + dt.timedelta(days=rng.randint(-20, 20))).isoformat()
            content = {"area": "services", "requester": requester, "responder": responder,
                       "subject": f"Check {i % 7}", "questionnaire": "services-verify-provider", "qversion": "1.0",
                       "questions": ["legally_established"], "deadline": deadline,
                       "person": {"provider_name": f"P{i}"}, "comments": [], "attachments": []}
            subject = {"entity": f"request/{uuid7()}"}
            state = rng.choice(list(PATHS))
            steps = [("request.sent", {"request": content})]
            for step in PATHS[state]:
                payload = {"answers": {"legally_established": "yes"}, "lang": "hu", "attachments": []} \
                    if step == "answered" else {"timeliness": 4, "quality": 5} if step == "closed" else \
                    {"text": "more?", "lang": "en"} if step == "info_requested" else {}
                steps.append((f"request.{step}", payload))
            events = [make_event(t, actor=actor, payload=p, subject=dict(subject)) for t, p in steps]
            for _ in range(rng.choice((0, 0, 1, 2))):  # reminders: in force, or about another deadline or day
                kind = rng.choice(("deadline_near", "deadline_passed", "inactive"))
                key = rng.choice((deadline, NOW[:10], "2020-01-01"))
                events.append(make_event("request.reminder", actor={"user": "operator", "authority": None},
                                         payload={"kind": kind, "key": key}, subject=dict(subject)))
            append(conn, events)
        opened.set_meta("authority_id", ME)
        opened.set_meta("user_id", "hu.handler")
    yield opened
    opened.close()


def _old_covered_by(conn, coordinator_id: str) -> list[str]:
    """The rule as it was applied: every record of the country decoded and ``covers`` asked."""
    lookup = sql_lookup(conn)
    me = lookup(coordinator_id)
    if not me or me.get("kind") not in COORDINATOR_KINDS:
        return []
    rows = conn.execute("SELECT record FROM authorities WHERE country = ? AND id != ?",
                        (me["country"], coordinator_id)).fetchall()
    return sorted(r["id"] for r in (json.loads(x) for (x,) in rows) if covers(lookup, me, r))


def _old_inbox(conn, authority: str, coordinated: list[str]) -> list[dict]:
    """The inbox as it was worked out: every request read, then filtered in Python."""
    from imi_cli.exchanges.requests.views import LIST_COLUMNS, _days_left

    items = []
    for row in conn.execute(f"SELECT {', '.join(LIST_COLUMNS)}, reminders FROM requests").fetchall():
        r = dict(zip(LIST_COLUMNS, row[:-1], strict=True))
        if r["state"] in ("closed", "withdrawn"):
            continue
        ours = authority in (r["requester"], r["responder"])
        if not ours and not (row[-1] and (r["requester"] in coordinated or r["responder"] in coordinated)):
            continue
        r["direction"] = "incoming" if r["responder"] == authority else "outgoing" if ours else "coordinated"
        left = _days_left(r["deadline"], TODAY) if r["state"] in OPEN_STATES else None
        reminders = _in_force(json.loads(row[-1]) if row[-1] else [], r)
        action = ACTIONS.get((r["direction"], r["state"])) if ours else None
        if not ours and "inactive" not in reminders:
            continue
        if action is None:
            if not reminders:
                continue
            action = follow_up(reminders)
        flag = "overdue" if left is not None and left < 0 else "due soon" if left is not None and left <= 3 else ""
        items.append({**r, "days_left": left, "action": action, "flag": flag, "reminders": reminders})
    items.sort(key=lambda i: (i["days_left"] is None, i["days_left"] or 0, i["id"]))
    return items


def _every(conn, authority: str, coordinated: list[str], overdue: bool = False) -> list[str]:
    """The ids `request list` gives with no limit: read in Python, newest first, ties by id."""
    mine = {authority, *coordinated}
    rows = [row for row in conn.execute("SELECT id, state, requester, responder, deadline, last_activity "
                                        "FROM requests").fetchall()
            if (row[2] in mine or row[3] in mine)
            and (not overdue or (row[1] in OPEN_STATES and row[4] < TODAY.isoformat()))]
    rows.sort(key=lambda row: (row[5], row[0]), reverse=True)
    return [row[0] for row in rows]


@pytest.mark.parametrize("who", [NCO, AREA_CO, "HU-ACO-SMALL", "HU-NCO2", "IE-NCO", ME, "DE-AUTH", "NOWHERE"])
def test_the_coordinated_authorities_in_one_query_are_those_the_rule_covers(store, who):
    assert covered_by(store.conn, who) == _old_covered_by(store.conn, who)


def test_the_coordination_rule_as_the_query_applies_it(store):
    assert covered_by(store.conn, NCO) == ["HU-ACO", "HU-ACO-SMALL", "HU-AUTH", "HU-BEYOND", "HU-BOTH",
                                           "HU-OTHER", "HU-WITHIN"]
    assert covered_by(store.conn, AREA_CO) == ["HU-AUTH", "HU-BOTH", "HU-WITHIN"]  # not a coordinator, not beyond
    assert covered_by(store.conn, "HU-ACO-SMALL") == ["HU-AUTH"]
    assert covered_by(store.conn, ME) == []


@pytest.mark.parametrize("who", [ME, NCO, AREA_CO, "IE-AUTH"])
def test_the_inbox_from_the_index_is_the_inbox_read_whole(store, who):
    coordinated = covered_by(store.conn, who)
    items = inbox(store.conn, who, coordinated)
    assert items == _old_inbox(store.conn, who, coordinated)
    assert items  # the store gives each something to do


def test_a_coordinator_sees_the_covered_authorities_requests_gone_quiet(store):
    items = [i for i in inbox(store.conn, NCO, covered_by(store.conn, NCO)) if i["direction"] == "coordinated"]
    assert items and all("inactive" in i["reminders"] for i in items)
    assert {i["requester"] for i in items} | {i["responder"] for i in items} & set(covered_by(store.conn, NCO))
    assert inbox(store.conn, NCO, []) == [i for i in inbox(store.conn, NCO, covered_by(store.conn, NCO))
                                          if i["direction"] != "coordinated"]


@pytest.mark.parametrize("who", [ME, NCO])
@pytest.mark.parametrize("overdue", [False, True])
def test_a_limit_gives_the_first_rows_of_the_whole_list(store, who, overdue):
    coordinated = covered_by(store.conn, who)
    every = _every(store.conn, who, coordinated, overdue)
    whole = list_requests(store.conn, who, coordinated=coordinated, overdue=overdue)
    assert [r["id"] for r in whole] == every and len(every) > 3
    for limit in (1, 2, len(every) - 1, len(every), len(every) + 1):
        assert list_requests(store.conn, who, coordinated=coordinated, overdue=overdue, limit=limit) == \
            whole[:limit], limit


def test_the_cli_pages_at_the_limit_and_says_so(store, imi):
    every = json.loads(imi("--json", "request", "list", "--all").out)
    assert len(every) > 3
    for limit, more in ((1, True), (len(every) - 1, True), (len(every), False), (len(every) + 1, False)):
        result = imi("--json", "request", "list", "--limit", str(limit))
        assert result.code == 0 and json.loads(result.out) == every[:limit]
        assert ("--limit N or --all for more" in result.err) is more, limit
    overdue = imi("--json", "request", "list", "--overdue", "--limit", "2")
    assert json.loads(overdue.out) == [r for r in every if r["state"] in OPEN_STATES
                                       and r["deadline"] < TODAY.isoformat()][:2]


def _written(rows) -> str:
    buffer = io.StringIO()
    original = output._streams
    output._streams = lambda: (buffer, buffer)
    try:
        output.write_json_rows(iter(rows), chunk=2)
    finally:
        output._streams = original
    return buffer.getvalue()


@pytest.mark.parametrize("count", [0, 1, 2, 5])
def test_json_row_by_row_is_the_json_of_the_whole_list(count):
    rows = [{"id": f"r{i}", "subject": "Ünnep \"idézet\" \\ \n\t\x1b \u202e \x85 𝄞", "days_left": -i, "none": None,
             "flag": True, "share": 0.5, "nan": float("nan"), "reminders": ["deadline_near"] * i, "empty": [],
             "nested": {"a": [1, {"b": ()}], 2: None, None: {}}, "day": dt.date(2027, 1, i + 1)}
            for i in range(count)]
    text = _written(rows)
    assert text == json_text(to_json(rows)) + "\n"
    assert len(json.loads(text)) == count


def test_the_cli_writes_valid_json_with_no_one_and_many_rows(store, imi, monkeypatch):
    many = json.loads(imi("--json", "inbox").out)
    assert len(many) > 1 and many == json.loads(to_json(inbox(store.conn, ME, [])))
    one = imi("--json", "request", "list", "--limit", "1")
    assert len(json.loads(one.out)) == 1 and one.out.startswith("[\n  {\n    \"id\": ")
    store.set_meta("authority_id", "MT-NCO")  # a coordinator with nothing to do
    none = imi("--json", "inbox")
    assert none.code == 0 and none.out == "[]\n"


def _captured(write) -> str:
    buffer = io.StringIO()
    original = output._streams
    output._streams = lambda: (buffer, buffer)
    try:
        write()
    finally:
        output._streams = original
    return buffer.getvalue()


def test_tab_separated_lines_are_those_of_one_pass_over_the_whole_text():
    """Cells checked for formulas only on a line that may have one: the text of ``tsv_line`` for
    every row and ``neutralise_tsv`` over it all, whatever the cells (formulas, numbers, quotes,
    tabs, newlines, control and bidirectional characters, lists, numbers, nothing)."""
    from imi_cli.bulk.spreadsheet import neutralise_tsv
    from imi_cli.safe_text import tsv_line

    rng = random.Random(6)
    letters = ["'", "=", "+", "-", "@", "0", "5", ".", "a", "\t", "\n", "\r", "\\", "\x1b", " ", "é", "\u202e", "٣"]

    def cell():
        draw = rng.random()
        if draw < 0.1:
            return None
        if draw < 0.15:
            return rng.randint(-20, 20)
        if draw < 0.2:
            return ["".join(rng.choices(letters, k=rng.randint(0, 3))) for _ in range(rng.randint(0, 2))]
        return "".join(rng.choices(letters, k=rng.randint(0, 5)))

    keys = ["a", "b", "c", "d"]
    for _ in range(3000):
        rows = [{k: cell() for k in keys if rng.random() < 0.9} for _ in range(rng.randint(0, 4))]
        whole = neutralise_tsv("".join([tsv_line(keys), *(tsv_line([row.get(k) for k in keys]) for row in rows)]))
        assert _captured(lambda rows=rows: output.write_rows(rows, keys, "tsv")) == whole, rows


@pytest.mark.parametrize("text", ["the 1 most recently active is shown; --limit N or --all for more", "", " a\n\nb ",
                                  "x\r\ny\tz \x1b[31m \u202e [bold]markup[/] :smile: 日本語 " * 5])
def test_a_message_in_a_pipe_is_what_rich_would_write(text, monkeypatch):
    from rich.console import Console
    from rich.text import Text

    from imi_cli.safe_text import safe_text

    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    rich = io.StringIO()
    Console(file=rich, highlight=False, soft_wrap=True).print(Text(safe_text(text, multiline=True)))
    assert _captured(lambda: output.message(text)) == rich.getvalue()
