"""The store's schema, migrated step by step on ``PRAGMA user_version``: the first step here,
the others in ``schema_steps`` (append a new one there; never edit a step that shipped).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from imi_cli.log.schema_steps import STEPS

if TYPE_CHECKING:
    from imi_cli.log.store import Store

_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

-- The log: every change is an event; every other table is a projection of it.
CREATE TABLE events (
    seq      INTEGER PRIMARY KEY,           -- local order of application
    id       TEXT NOT NULL UNIQUE,          -- UUIDv7, made by the author
    type     TEXT NOT NULL,
    at       TEXT NOT NULL,
    body     TEXT NOT NULL                  -- the canonical JSON of the whole event
);
CREATE INDEX events_type ON events(type);

CREATE TABLE authorities (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,              -- authority | area_coordinator | national_coordinator
    country     TEXT NOT NULL,
    email       TEXT,
    phone       TEXT,
    address     TEXT,
    website     TEXT,
    languages   TEXT NOT NULL,              -- JSON list of IMI language codes
    coordinator TEXT,
    record      TEXT NOT NULL,              -- JSON of the whole record, as registered
    registered_at TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX authorities_country ON authorities(country);
CREATE TABLE authority_names (
    authority_id TEXT NOT NULL REFERENCES authorities(id) ON DELETE CASCADE,
    lang         TEXT NOT NULL,
    name         TEXT NOT NULL,
    PRIMARY KEY (authority_id, lang)
) WITHOUT ROWID;
CREATE TABLE authority_areas (
    authority_id TEXT NOT NULL REFERENCES authorities(id) ON DELETE CASCADE,
    area         TEXT NOT NULL,
    competences  TEXT NOT NULL,             -- JSON list
    PRIMARY KEY (authority_id, area)
) WITHOUT ROWID;
CREATE INDEX authority_areas_area ON authority_areas(area, authority_id);
CREATE TABLE authority_languages (
    authority_id TEXT NOT NULL REFERENCES authorities(id) ON DELETE CASCADE,
    lang         TEXT NOT NULL,
    PRIMARY KEY (lang, authority_id)
) WITHOUT ROWID;
-- Full text over names and competences in every language, folded for case and diacritics.
-- Its rowid is the authority's rowid; `filters` holds country/area/language tokens, so a
-- filtered search runs inside the index and ranks only what matches.
CREATE VIRTUAL TABLE authority_fts USING fts5(
    names, competences, filters,
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
INSERT INTO authority_fts(authority_fts, rank) VALUES ('rank', 'bm25(10.0, 4.0, 0.0)');

CREATE TABLE users (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    email        TEXT NOT NULL,
    authority_id TEXT NOT NULL,
    roles        TEXT NOT NULL,             -- JSON: {area or "*": [role, ...]}
    record       TEXT NOT NULL,
    registered_at TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX users_authority ON users(authority_id);
"""

MIGRATIONS: list[str] = [_V1, *STEPS]

PROJECTION_TABLES = ("authorities", "authority_names", "authority_areas",
                     "authority_languages", "authority_fts", "users",
                     "principals", "invitations", "messages", "requests", "request_history",
                     "request_attachments", "alerts", "notifications", "notification_comments",
                     "notification_history", "licences", "licences_trigram",
                     "registers", "access_log")


def migrate(store: Store) -> None:
    version = store.conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        from imi_cli import __version__
        from imi_cli.errors import ImiError
        from imi_cli.i18n import t

        raise ImiError(t("{path} has schema version {version}; this imi ({imi}) "
                         "knows versions up to {known}; nothing was changed", path=str(store.path),
                         version=version, imi=__version__, known=len(MIGRATIONS)),
                       hint=t("upgrade imi-cli to open this store"))
    if version == len(MIGRATIONS):
        return
    with store.transaction() as conn:
        version = conn.execute("PRAGMA user_version").fetchone()[0]  # another process may have won
        for step in range(version, len(MIGRATIONS)):
            _run_script(conn, MIGRATIONS[step])
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")


def _run_script(conn, script: str) -> None:
    # executescript would COMMIT our transaction; run statement by statement instead.
    import sqlcipher3

    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlcipher3.complete_statement(buffer):
            conn.execute(buffer)
            buffer = ""
