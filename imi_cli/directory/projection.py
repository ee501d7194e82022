"""Projecting directory events: authorities (with their names, areas, languages and search
index), users, enrolled keys, invitations. Nodes and hub alike."""

from __future__ import annotations

import json
from typing import Any

from imi_cli.log.redaction import forgets


def new_authorities(conn: Any, events: list[dict[str, Any]]) -> None:
    from imi_cli.log.store import in_chunks

    if not events:
        return
    ids = [e["payload"]["authority"]["id"] for e in events]
    if in_chunks(conn, "SELECT id FROM authorities WHERE id IN ({})", ids) or len(set(ids)) != len(ids):
        for event in events:  # updates in disguise: one by one, as the log says
            authority(conn, event)
        return
    _write_authorities(conn, [(e["payload"]["authority"], e["at"], e["at"]) for e in events])


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def authority(conn: Any, event: dict[str, Any]) -> None:
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
    if r.get("deactivated"):  # searches leave it out (``imi_cli.directory.search.DEACTIVATED``)
        tokens.append(filter_token("state", "deactivated"))
    return " ".join(tokens)


def _with_folded(text: str) -> str:
    """The text and, where it differs, its folded form: FTS5's unicode61 leaves letters such as
    ł, ø, ħ and Greek accents alone, so "glowny" must find "Główny" through the folded copy."""
    from imi_cli.directory.search import fold

    folded = fold(text)
    return text if folded == text.casefold() else f"{text} {folded}"


def user(conn: Any, event: dict[str, Any]) -> None:
    """A user's row. The name and e-mail are kept only where the event disclosed them and this
    store may hold them (``minimal.kept_here``); else they are empty, and the record is the
    user's id, authority and roles alone (no marker, no personal value)."""
    from imi_cli.directory.minimal import PERSONAL_KEYS, kept_here
    from imi_cli.log.disclosures import MARKERS

    u = event["payload"]["user"]
    record = {k: v for k, v in u.items() if k not in MARKERS}
    if not kept_here(conn, u["authority"]):
        record = {k: v for k, v in record.items() if k not in PERSONAL_KEYS}
    at = event["at"]
    row = conn.execute("SELECT registered_at FROM users WHERE id = ?", (u["id"],)).fetchone()
    conn.execute(
        "INSERT OR REPLACE INTO users(id, name, email, authority_id, roles, record, registered_at,"
        " updated_at) VALUES (?,?,?,?,?,?,?,?)",
        (u["id"], _text(record.get("name")), _text(record.get("email")), u["authority"], _dumps(u["roles"]),
         _dumps(record), row[0] if row else at, at))


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


@forgets("user/")
def forget_user(conn: Any, entity: str) -> None:
    """Drop a user's row, so that an erasure folds its events again without the erased values."""
    conn.execute("DELETE FROM users WHERE id = ?", (entity.split("/", 1)[1],))


def enrolled(conn: Any, event: dict[str, Any]) -> None:
    p = event["payload"]
    conn.execute("INSERT OR REPLACE INTO principals(user_id, authority_id, public_key) VALUES (?,?,?)",
                 (p["user"], p.get("authority"), p["public_key"]))


def left(conn: Any, event: dict[str, Any]) -> None:
    """A user who leaves goes from the directory (Art. 14: a directory entry is removed when its
    user leaves): the row, and the key, revoked. The name and e-mail the store held are erased
    (every store, the hub's too, does so when it applies the event); the signed events stay,
    and verify."""
    from imi_cli.log import redaction

    user_id = event["payload"]["user"]
    conn.execute("UPDATE principals SET revoked_at = coalesce(revoked_at, ?) WHERE user_id = ?", (event["at"], user_id))
    redaction.erase(conn, entity=f"user/{user_id}")  # (during a rebuild: marks only; the row goes below)
    conn.execute("DELETE FROM users WHERE id = ?", (user_id,))


def revoked(conn: Any, event: dict[str, Any]) -> None:
    """The key no longer signs; the user's unused invitations go with it (a user deactivated
    before enrolling cannot enrol with a code it was given before)."""
    user_id = event["payload"]["user"]
    conn.execute("UPDATE principals SET revoked_at = ? WHERE user_id = ?", (event["at"], user_id))
    conn.execute("UPDATE invitations SET used_at = ? WHERE user_id = ? AND used_at IS NULL", (event["at"], user_id))


def invited(conn: Any, event: dict[str, Any]) -> None:
    p = event["payload"]
    conn.execute("INSERT OR REPLACE INTO invitations(code_hash, user_id, expires_at) VALUES (?,?,?)",
                 (p["code_hash"], p["user"], p["expires_at"]))


def invitation_spent(conn: Any, event: dict[str, Any]) -> None:
    conn.execute("UPDATE invitations SET used_at = ? WHERE code_hash = ?", (event["at"], event["payload"]["code_hash"]))
