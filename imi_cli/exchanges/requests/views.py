"""What officials and coordinators see of requests: lists, the inbox, statistics."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from imi_cli.exchanges.requests.labels import ACTIONS, REMINDERS, follow_up
from imi_cli.exchanges.requests.lifecycle import OPEN_STATES
from imi_cli.log import clock

LIST_COLUMNS = ("id", "state", "area", "requester", "responder", "subject", "deadline", "last_activity")
# The WHERE of the index of open requests (log/schema.py, requests_open), word for word: a
# query that has it among its ANDed terms may read that index (SQLite's rule for a partial index).
OPEN_INDEX = "state NOT IN ('closed', 'withdrawn')"


def as_date(value: object) -> dt.date | None:
    """A stored deadline as a date; None if it is none, or not a date (a store may hold data
    from before the hub checked types: the view shows the value as it is, it does not crash)."""
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _days_left(deadline: str | None, today: dt.date) -> int | None:
    day = as_date(deadline)
    return (day - today).days if day else None


def _check_filters(direction: str | None, state: str | None) -> None:
    from imi_cli.errors import UsageError
    from imi_cli.exchanges.requests.lifecycle import NEXT_STATE
    from imi_cli.i18n import t

    if direction not in (None, "incoming", "outgoing"):
        raise UsageError(msgid="use_one_of", params={"option": "--direction", "value": direction,
                                                     "choices": "incoming or outgoing"})
    states = sorted({*NEXT_STATE.values(), "deadline_proposed"})
    if state is not None and state not in states:
        raise UsageError(t("{option} {value!r} is not a request state", option="--state", value=state),
                         hint=t("one of {choices}", choices=", ".join(states)))


def list_requests(conn: Any, authority: str, *, direction: str | None = None, state: str | None = None,
                  overdue: bool = False, coordinated: list[str] | None = None,
                  limit: int | None = None) -> list[dict[str, Any]]:
    """Requests this authority sent or received (or, for a coordinator, those of ``coordinated``),
    the most recently active first; at most ``limit`` of them."""
    _check_filters(direction, state)
    mine = [authority, *(coordinated or [])]
    marks = ",".join("?" * len(mine))
    # A node's store holds little else than its own requests: a scan (unary + keeps the
    # planner off the per-row index lookups of an OR) beats two index walks.
    where = {"incoming": f"responder IN ({marks})", "outgoing": f"requester IN ({marks})"}.get(
        direction or "", f"(+requester IN ({marks}) OR +responder IN ({marks}))")
    params: list[Any] = mine * (1 if direction in ("incoming", "outgoing") else 2)
    if state:
        where += " AND state = ?"
        params.append(state)
    today = clock.now().date()
    if overdue:  # from the open requests' index, by deadline (+state: not the table's state index)
        where += f" AND +state IN ({','.join('?' * len(OPEN_STATES))}) AND {OPEN_INDEX} AND deadline < ?"
        params += [*OPEN_STATES, today.isoformat()]
    sql = f"SELECT {', '.join(LIST_COLUMNS)} FROM requests WHERE {where}"
    if limit is not None:  # at most ``limit`` rows read and decoded, the newest first: straight
        # from the list's index; the overdue ones (a few) from the open ones' index, then sorted
        order = "+last_activity DESC, +id DESC" if overdue else "last_activity DESC, id DESC"
        rows = conn.execute(f"{sql} ORDER BY {order} LIMIT ?", [*params, limit]).fetchall()
    else:
        rows = conn.execute(sql, params).fetchall()
        rows.sort(key=lambda row: (str(row[7] or ""), str(row[0])), reverse=True)  # as the index: ties by id
    open_states, ordinal = frozenset(OPEN_STATES), today.toordinal()
    deadlines: dict[str, int | None] = {}
    out = []
    for row in rows:
        left = None
        if row[1] in open_states and row[6]:
            left = deadlines.get(row[6])
            if left is None and row[6] not in deadlines:
                day = as_date(row[6])
                left = deadlines[row[6]] = day.toordinal() - ordinal if day else None
        out.append({"id": row[0], "state": row[1], "area": row[2], "requester": row[3], "responder": row[4],
                    "subject": row[5], "deadline": row[6], "last_activity": row[7], "days_left": left,
                    "direction": "incoming" if row[4] == authority else "outgoing" if row[3] == authority
                    else "coordinated"})
    return out


_ACTIONS = ACTIONS  # the English words JSON shows; `labels.action_label` translates them for a table


_DONE = ("closed", "withdrawn")
_REMINDED = REMINDERS
# the states in which a request has a next step for its responder / its requester (``ACTIONS``)
_ACTING = {side: tuple(sorted(state for (direction, state) in ACTIONS if direction == side))
           for side in ("incoming", "outgoing")}


def inbox(conn: Any, authority: str, coordinated: list[str] | None = None) -> list[dict[str, Any]]:
    """What needs this authority's action now, most urgent first: the next step of each of its
    requests, and reminders (deadline near or passed, a month without activity) still in force.
    A coordinator also sees the requests of ``coordinated`` that were escalated as inactive."""
    today = clock.now().date()
    others = [a for a in coordinated or [] if a != authority]
    marks = ",".join("?" * len(others))
    # Read from the index of open requests alone (requests_open: the reminders are a column
    # there), only the rows that can show: those with a next step for this authority, and
    # those with reminders (below: which are still in force). Unary + keeps the planner off
    # the requester/responder indexes and their row fetches. Of the coordinated authorities'
    # requests only those with reminders can show.
    incoming, outgoing = (",".join("?" * len(_ACTING[side])) for side in ("incoming", "outgoing"))
    theirs = f" OR +requester IN ({marks}) OR +responder IN ({marks})" if others else ""
    rows = conn.execute(f"SELECT {', '.join(LIST_COLUMNS)}, reminders FROM requests "
                        f"WHERE {OPEN_INDEX} AND ((+responder = ? AND +state IN ({incoming})) "
                        f"OR (+requester = ? AND +state IN ({outgoing})) "
                        f"OR (reminders IS NOT NULL AND (+requester = ? OR +responder = ?{theirs})))",
                        (authority, *_ACTING["incoming"], authority, *_ACTING["outgoing"], authority, authority,
                         *others, *others)).fetchall()
    items = []
    open_states = frozenset(OPEN_STATES)
    days: dict[Any, int | None] = {}  # deadline -> days left, each worked out once
    for rid, state, area, requester, responder, subject, deadline, last_activity, stored in rows:
        direction = "incoming" if responder == authority else "outgoing" if requester == authority \
            else "coordinated"
        r = {"id": rid, "state": state, "area": area, "requester": requester, "responder": responder,
             "subject": subject, "deadline": deadline, "last_activity": last_activity, "direction": direction}
        # (reminders are in force only while the request is open: a closed one's are not decoded)
        reminders = _in_force(json.loads(stored), r) if stored and state in open_states else []
        action: str | None
        if direction == "coordinated":
            if "inactive" not in reminders:
                continue  # a coordinator steps in only when a request has gone quiet
            action = follow_up(reminders)
        else:
            action = _ACTIONS.get((direction, state))
            if action is None:
                if not reminders:
                    continue
                action = follow_up(reminders)
        left = None
        if state in open_states:
            if deadline in days:
                left = days[deadline]
            else:
                left = days[deadline] = _days_left(deadline, today)
        flag = "overdue" if left is not None and left < 0 else "due soon" if left is not None and left <= 3 else ""
        r.update(days_left=left, action=action, flag=flag, reminders=reminders)
        items.append(r)
    items.sort(key=lambda i: (i["days_left"] is None, i["days_left"] or 0, i["id"]))
    return items


def _in_force(reminders: list[dict[str, Any]], r: dict[str, Any]) -> list[str]:
    """Reminder kinds that still hold: about the current deadline, or the quiet spell that goes on;
    none once the request is no longer open."""
    if r["state"] not in OPEN_STATES:
        return []
    kinds = []
    for rem in reminders if isinstance(reminders, list) else []:
        kind = rem.get("kind") if isinstance(rem, dict) else None
        if kind not in _REMINDED:
            continue
        key = r["deadline"] if kind != "inactive" else str(r["last_activity"] or "")[:10]
        if rem.get("key") == key and kind not in kinds:
            kinds.append(kind)
    if "deadline_passed" in kinds and "deadline_near" in kinds:  # superseded
        kinds.remove("deadline_near")
    return kinds


def stats(conn: Any) -> list[dict[str, Any]]:
    """Per area and responding authority: the figures IMI publishes."""
    rows = conn.execute("SELECT area, responder, sent_at, accepted_at, answered_at, deadline, record "
                        "FROM requests WHERE sent_at IS NOT NULL").fetchall()
    groups: dict[tuple[str, str], list[tuple]] = {}
    for row in rows:
        groups.setdefault((row[0], row[1]), []).append(row)
    return [_figures(area, responder, items) for (area, responder), items in sorted(groups.items())]


def _figures(area: str, responder: str, items: list[tuple]) -> dict[str, Any]:
    def days(a: str, b: str) -> float:
        return (clock.parse_instant(b) - clock.parse_instant(a)).total_seconds() / 86400

    accepted = [i for i in items if i[3]]
    answered = [i for i in items if i[4]]
    ratings = [json.loads(i[6]).get("rating") or {} for i in items]
    quality = [r["quality"] for r in ratings if r.get("quality")]
    timeliness = [r["timeliness"] for r in ratings if r.get("timeliness")]
    mean = lambda xs: round(sum(xs) / len(xs), 1) if xs else None  # noqa: E731
    return {
        "area": area, "authority": responder, "received": len(items),
        "accepted_within_7_days_pct": mean([100.0 * (days(i[2], i[3]) <= 7) for i in accepted]),
        "average_days_to_answer": mean([days(i[2], i[4]) for i in answered]),
        "answered_by_deadline_pct": mean([100.0 * (i[4][:10] <= i[5]) for i in answered if i[5]]),
        "rating_timeliness": mean(timeliness), "rating_quality": mean(quality),
    }


def subject_langs(conn: Any, ids: list[str]) -> dict[str, str]:
    """The language each request's subject is written in (``subject_lang``), for the requests a
    table shows (a list reads the index alone; this reads the records of those rows only)."""
    out: dict[str, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        rows = conn.execute(f"SELECT id, json_extract(record, '$.subject_lang') FROM requests "
                            f"WHERE id IN ({','.join('?' * len(chunk))})", chunk).fetchall()
        out.update({rid: lang for rid, lang in rows if isinstance(lang, str)})
    return out
