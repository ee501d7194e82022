"""Projections: the tables commands query, built from the event log.

``apply`` folds one event into the tables; ``rebuild`` empties them and
replays the whole log, which must give an identical result.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from imi_cli.log.schema import PROJECTION_TABLES

Handler = Callable[[Any, dict[str, Any]], None]
HANDLERS: dict[str, Handler] = {}


def handles(*types: str) -> Callable[[Handler], Handler]:
    def decorate(fn: Handler) -> Handler:
        for type_ in types:
            HANDLERS[type_] = fn
        return fn
    return decorate


def apply(conn: Any, event: dict[str, Any]) -> None:
    handler = HANDLERS.get(event["type"])
    if handler is not None:  # events of later features are kept in the log even if not projected
        handler(conn, event)


def apply_all(conn: Any, events: list[dict[str, Any]]) -> None:
    """Apply events in order; a run of new authorities (a bulk import) is written in a few
    statements instead of eight per authority, with the very rows ``apply`` would write."""
    run: list[dict[str, Any]] = []
    for event in events:
        if event["type"] == "authority.registered":
            run.append(event)
            continue
        _new_authorities(conn, run)
        run = []
        apply(conn, event)
    _new_authorities(conn, run)


def _new_authorities(conn: Any, events: list[dict[str, Any]]) -> None:
    from imi_cli.log.store import in_chunks

    if not events:
        return
    ids = [e["payload"]["authority"]["id"] for e in events]
    if in_chunks(conn, "SELECT id FROM authorities WHERE id IN ({})", ids) or len(set(ids)) != len(ids):
        for event in events:  # updates in disguise: one by one, as the log says
            apply(conn, event)
        return
    _write_authorities(conn, [(e["payload"]["authority"], e["at"], e["at"]) for e in events])


def rebuild(store: Any) -> int:
    from imi_cli.log import redaction

    with store.transaction() as conn, redaction.rebuilding():
        for table in PROJECTION_TABLES:
            conn.execute(f"DELETE FROM {table}")
        count = 0
        # revealed from the disclosures held: what was erased or withheld stays so
        for event in list(redaction.revealed_log(conn)):
            apply(conn, event)
            count += 1
    return count


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


@handles("authority.registered", "authority.updated")
def _authority(conn: Any, event: dict[str, Any]) -> None:
    r = event["payload"]["authority"]
    at = event["at"]
    row = conn.execute("SELECT registered_at, rowid FROM authorities WHERE id = ?", (r["id"],)).fetchone()
    registered_at = row[0] if row else at
    if row:  # an update: its old index row goes by rowid (the index is keyed on it)
        conn.execute("DELETE FROM authorities WHERE id = ?", (r["id"],))
        conn.execute("DELETE FROM authority_fts WHERE rowid = ?", (row[1],))
    _write_authorities(conn, [(r, registered_at, at)])


def _write_authorities(conn: Any, items: list[tuple[dict[str, Any], str, str]]) -> None:
    """Write (record, registered_at, updated_at) of authorities not in the tables, in a few
    statements however many: a bulk import, or one event. Each gets the rowid INSERT would
    choose (one more than the largest), so a replay of the log builds the same index."""
    rowid = conn.execute("SELECT coalesce(max(rowid), 0) FROM authorities").fetchone()[0]
    rows, names, areas, languages, index = [], [], [], [], []
    for r, registered_at, at in items:
        rowid += 1
        rows.append((rowid, r["id"], r["kind"], r["country"], r.get("email"), r.get("phone"), r.get("address"),
                     r.get("website"), _dumps(r["languages"]), r.get("coordinator"), _dumps(r), registered_at, at))
        names += [(r["id"], lang, name) for lang, name in r["names"].items()]
        areas += [(r["id"], area, _dumps(comp)) for area, comp in r["areas"].items()]
        languages += [(r["id"], lang) for lang in r["languages"]]
        index.append((rowid, *_index_texts(r)))
    conn.executemany("INSERT INTO authorities(rowid, id, kind, country, email, phone, address, website, languages,"
                     " coordinator, record, registered_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    conn.executemany("INSERT INTO authority_names VALUES (?,?,?)", names)
    conn.executemany("INSERT INTO authority_areas VALUES (?,?,?)", areas)
    conn.executemany("INSERT INTO authority_languages VALUES (?,?)", languages)
    conn.executemany("INSERT INTO authority_fts(rowid, names, competences, filters) VALUES (?,?,?,?)", index)


def _index_texts(r: dict[str, Any]) -> tuple[str, str, str]:
    """The search index's names, competences and filter tokens of one authority."""
    names = " ".join(name for _, name in sorted(r["names"].items())) + " " + r["id"]
    competences = " ".join(c for _, comp in sorted(r["areas"].items()) for c in comp)
    return _with_folded(names), _with_folded(competences), filter_tokens(r)


def filter_tokens(r: dict[str, Any]) -> str:
    """One token per country, area and language: letters only, so the tokenizer keeps them whole."""
    from imi_cli.directory.search import filter_token

    tokens = [filter_token("country", r["country"])]
    tokens += [filter_token("area", area) for area in sorted(r["areas"])]
    tokens += [filter_token("lang", lang) for lang in r["languages"]]
    return " ".join(tokens)


def _with_folded(text: str) -> str:
    """The text and, where it differs, its folded form: FTS5's unicode61 leaves letters such as
    ł, ø, ħ and Greek accents alone, so "glowny" must find "Główny" through the folded copy."""
    from imi_cli.directory.search import fold

    folded = fold(text)
    return text if folded == text.casefold() else f"{text} {folded}"


@handles("user.registered", "user.updated")
def _user(conn: Any, event: dict[str, Any]) -> None:
    u = event["payload"]["user"]
    at = event["at"]
    row = conn.execute("SELECT registered_at FROM users WHERE id = ?", (u["id"],)).fetchone()
    conn.execute(
        "INSERT OR REPLACE INTO users(id, name, email, authority_id, roles, record, registered_at,"
        " updated_at) VALUES (?,?,?,?,?,?,?,?)",
        (u["id"], u["name"], u["email"], u["authority"], _dumps(u["roles"]), _dumps(u),
         row[0] if row else at, at))


@handles("user.enrolled")
def _enrolled(conn: Any, event: dict[str, Any]) -> None:
    p = event["payload"]
    conn.execute("INSERT OR REPLACE INTO principals(user_id, authority_id, public_key) VALUES (?,?,?)",
                 (p["user"], p.get("authority"), p["public_key"]))


@handles("user.revoked")
def _revoked(conn: Any, event: dict[str, Any]) -> None:
    conn.execute("UPDATE principals SET revoked_at = ? WHERE user_id = ?",
                 (event["at"], event["payload"]["user"]))


@handles("user.invited")
def _invited(conn: Any, event: dict[str, Any]) -> None:
    p = event["payload"]
    conn.execute("INSERT OR REPLACE INTO invitations(code_hash, user_id, expires_at) VALUES (?,?,?)",
                 (p["code_hash"], p["user"], p["expires_at"]))


@handles("message.sent")
def _message(conn: Any, event: dict[str, Any]) -> None:
    p = event["payload"]
    conn.execute("INSERT OR IGNORE INTO messages VALUES (?,?,?,?,?,?,?,?)",
                 (event["subject"]["entity"].split("/", 1)[1], p["from"], p["to"],
                  event["actor"]["user"], p["subject"], p["text"], p["lang"], event["at"]))


@handles("personal_data.erased")
def _erased(conn: Any, event: dict[str, Any]) -> None:
    from imi_cli.log.redaction import apply_erasure

    apply_erasure(conn, event)


# Request events have their own module; importing it registers its handlers here.
from imi_cli.exchanges.requests import projection as _requests  # noqa: E402,F401
