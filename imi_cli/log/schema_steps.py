"""The store's schema steps after the first (``schema.MIGRATIONS`` = the first + these), in
order: each is run once, in the transaction that migrates a store (``schema.migrate``).

Append a new step at the end to change the schema; never edit a step that shipped.
"""

STEPS: list[str] = []

# Identity, outbox and the hub's own tables (a hub is a store too).
_V2 = """
ALTER TABLE events ADD COLUMN hub_seq INTEGER;
ALTER TABLE events ADD COLUMN status TEXT NOT NULL DEFAULT 'local';  -- local|pending|accepted|rejected|remote
CREATE UNIQUE INDEX events_hub_seq ON events(hub_seq) WHERE hub_seq IS NOT NULL;

-- What this node has pushed or must push; every pushed event ends accepted or rejected.
CREATE TABLE outbox (
    event_id TEXT PRIMARY KEY,
    state    TEXT NOT NULL,                 -- pending | accepted | rejected
    reason   TEXT,                          -- not_allowed | stale | illegal_transition | invalid | ...
    detail   TEXT,
    receipt  TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX outbox_state ON outbox(state);

-- The version of each entity (e.g. authority/HU-MEK), for the hub's stale check.
CREATE TABLE entity_versions (entity TEXT PRIMARY KEY, version INTEGER NOT NULL) WITHOUT ROWID;

-- Public keys of enrolled users (operator included), from user.enrolled events.
CREATE TABLE principals (
    user_id    TEXT PRIMARY KEY,
    authority_id TEXT,
    public_key TEXT NOT NULL,
    revoked_at TEXT
);

-- Hub only: who may read an event (an authority id, or '*' for the whole network).
CREATE TABLE event_audience (
    authority TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    PRIMARY KEY (authority, seq)
) WITHOUT ROWID;
CREATE TABLE receipts (event_id TEXT PRIMARY KEY, receipt TEXT NOT NULL);
CREATE TABLE invitations (
    code_hash  TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT
);
CREATE TABLE request_nonces (nonce TEXT PRIMARY KEY, at REAL NOT NULL);
"""

STEPS.append(_V2)

# One-to-one messages between authorities: the simplest exchange that proves need-to-know delivery.
_V3 = """
CREATE TABLE messages (
    id            TEXT PRIMARY KEY,
    from_authority TEXT NOT NULL,
    to_authority  TEXT NOT NULL,
    author        TEXT NOT NULL,
    subject       TEXT NOT NULL,
    body          TEXT NOT NULL,
    lang          TEXT NOT NULL,
    at            TEXT NOT NULL
);
CREATE INDEX messages_to ON messages(to_authority, at);
"""

STEPS.append(_V3)

# Information requests: the state of each, its history, attachments and reminders.
_V4 = """
CREATE TABLE requests (
    id            TEXT PRIMARY KEY,
    state         TEXT NOT NULL,
    area          TEXT NOT NULL,
    requester     TEXT NOT NULL,
    responder     TEXT NOT NULL,
    subject       TEXT NOT NULL,
    deadline      TEXT,
    proposed_deadline TEXT,
    created_at    TEXT NOT NULL,
    sent_at       TEXT,
    accepted_at   TEXT,
    answered_at   TEXT,
    closed_at     TEXT,
    last_activity TEXT NOT NULL,
    record        TEXT NOT NULL             -- JSON: questions, person, comments, answers, ratings, hops
);
CREATE INDEX requests_requester ON requests(requester, state);
CREATE INDEX requests_responder ON requests(responder, state);
CREATE INDEX requests_deadline ON requests(state, deadline);
CREATE TABLE request_history (
    request_id TEXT NOT NULL,
    at         TEXT NOT NULL,
    type       TEXT NOT NULL,
    user_id    TEXT,
    authority  TEXT,
    detail     TEXT NOT NULL
);
CREATE INDEX request_history_request ON request_history(request_id, at);
-- Hub only: every accepted event's entity and author, for the stale check.
CREATE TABLE entity_log (entity TEXT NOT NULL, seq INTEGER NOT NULL, author TEXT NOT NULL,
                         PRIMARY KEY (entity, seq)) WITHOUT ROWID;
CREATE TABLE request_attachments (
    sha256     TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    size       INTEGER NOT NULL,
    content    BLOB NOT NULL
);
"""

STEPS.append(_V4)

# When the hub received each event, by its own clock: what it decides by time (retention)
# it decides by this, not by the author's `at`. A receipt keeps its event's hash, so that
# after retention only the very same event is answered with it.
_V5 = """
ALTER TABLE events ADD COLUMN received_at TEXT;
ALTER TABLE receipts ADD COLUMN body_sha256 TEXT;
"""

STEPS.append(_V5)

# Redactable personal data: the disclosures beside each event's signed body (log/redaction.py).
# A NULL disclosure was erased; the row stays so that views say "erased", not "withheld".
_V6 = """
CREATE TABLE disclosures (
    event_id   TEXT NOT NULL,
    digest     TEXT NOT NULL,
    entity     TEXT,
    disclosure TEXT,
    erased_at  TEXT,
    PRIMARY KEY (event_id, digest)
);
CREATE INDEX disclosures_entity ON disclosures(entity);
"""

# The request list and the inbox read a few short columns of every request a node holds
# (tens of thousands at a busy authority), the inbox also its reminders, and each pull
# the hub's due reminders. A scan of the table decrypts every request's JSON record too
# (~500 bytes each): the reminders get a column of their own (a copy of the record's,
# written by the projection) and this index holds just those columns, about a fifth of the
# pages (bench/bench_inbox.py).
_V7 = """
ALTER TABLE requests ADD COLUMN reminders TEXT;
UPDATE requests SET reminders = json_extract(record, '$.reminders')
    WHERE json_extract(record, '$.reminders') IS NOT NULL;
CREATE INDEX requests_list ON requests(last_activity, id, state, area, requester, responder, subject, deadline,
                                       reminders);
"""

STEPS.append(_V6)

# Events a node received and did not apply: they failed the checks a node runs on what comes
# from outside (shape, payload schema, subject), or their projection failed. One bad event
# never stops a sync; it is recorded here (ids, type and reason, never its content) and the
# user is told. `source`: `pull` (skipped when pulled) or `rebuild` (skipped by a rebuild).
_V8 = """
CREATE TABLE quarantine (
    event_id TEXT PRIMARY KEY,
    hub_seq  INTEGER,
    type     TEXT,
    reason   TEXT NOT NULL,
    at       TEXT NOT NULL,
    source   TEXT NOT NULL
);
"""

STEPS.append(_V7)
STEPS.append(_V8)

# Alerts (imi_cli.exchanges.alerts): what a store's authority was sent, with personal answers
# withheld from an incoming-alert coordinator until the alert is forwarded to it.
_V9 = """
CREATE TABLE alerts (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    state         TEXT NOT NULL,
    area          TEXT NOT NULL,
    sender        TEXT NOT NULL,
    profession    TEXT,
    created_at    TEXT NOT NULL,
    sent_at       TEXT,
    decision_date TEXT,
    late_days     INTEGER,
    under_appeal  INTEGER NOT NULL DEFAULT 0,
    closed_at     TEXT,
    ended_on      TEXT,
    erase_after   TEXT,
    last_activity TEXT NOT NULL,
    record        TEXT NOT NULL
);
CREATE INDEX alerts_list ON alerts(last_activity, id);
CREATE INDEX alerts_erase ON alerts(erase_after) WHERE erase_after IS NOT NULL;
"""

STEPS.append(_V9)

# Notifications (imi_cli.exchanges.notifications): what a store's authority notified or was
# sent; ``search_text`` holds the lower-cased words a search matches.
_V10 = """
CREATE TABLE notifications (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    qversion      TEXT NOT NULL,
    state         TEXT NOT NULL,
    area          TEXT NOT NULL,
    notifier      TEXT NOT NULL,
    country       TEXT,
    created_at    TEXT NOT NULL,
    broadcast_at  TEXT,
    deadline      TEXT,
    closed_at     TEXT,
    last_activity TEXT NOT NULL,
    search_text   TEXT NOT NULL DEFAULT '',
    record        TEXT NOT NULL
);
CREATE INDEX notifications_list ON notifications(last_activity, id);
CREATE INDEX notifications_due ON notifications(state, deadline);
CREATE TABLE notification_comments (
    notification_id TEXT NOT NULL,
    at              TEXT NOT NULL,
    authority       TEXT,
    user            TEXT,
    lang            TEXT,
    text            TEXT NOT NULL
);
CREATE INDEX notification_comments_of ON notification_comments(notification_id, at);
CREATE TABLE notification_history (
    notification_id TEXT NOT NULL,
    at              TEXT NOT NULL,
    type            TEXT NOT NULL,
    authority       TEXT,
    user            TEXT
);
CREATE INDEX notification_history_of ON notification_history(notification_id);
"""

STEPS.append(_V10)

# Repositories (imi_cli.repositories): euro cash-in-transit licences, looked up by number,
# folded company name, registration number and country; the directory of registers.
_V11 = """
CREATE TABLE licences (
    number              TEXT PRIMARY KEY,
    country             TEXT NOT NULL,
    authority           TEXT NOT NULL,
    company_name        TEXT NOT NULL,
    company_folded      TEXT NOT NULL,
    registration_number TEXT NOT NULL,
    valid_from          TEXT NOT NULL,
    valid_to            TEXT NOT NULL,
    withdrawn_on        TEXT,
    banned_until        TEXT,
    last_activity       TEXT NOT NULL,
    record              TEXT NOT NULL
);
CREATE INDEX licences_company ON licences(company_folded);
CREATE INDEX licences_registration ON licences(registration_number);
CREATE INDEX licences_country ON licences(country, number);
CREATE VIRTUAL TABLE licences_trigram USING fts5(company_folded, tokenize='trigram');
CREATE TABLE registers (
    id          TEXT PRIMARY KEY,
    country     TEXT NOT NULL,
    area        TEXT NOT NULL,
    holder      TEXT NOT NULL,
    search_text TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    record      TEXT NOT NULL
);
CREATE INDEX registers_country ON registers(country, area);
"""

STEPS.append(_V11)

# Data protection by the clock (imi_cli.privacy): a disclosure past its blocking date is kept
# but read as blocked; ``privacy_marks`` remembers what the clock did to each exchange (kept
# through a rebuild: the log says when an exchange closed, the marks when it was blocked or
# erased here); ``access_log`` is the projection of the signed reads of personal data.
_V12 = """
ALTER TABLE disclosures ADD COLUMN blocked_at TEXT;
CREATE TABLE privacy_marks (
    entity     TEXT PRIMARY KEY,
    closed_at  TEXT NOT NULL,
    blocked_at TEXT,
    erased_at  TEXT
);
CREATE TABLE access_log (
    id        TEXT PRIMARY KEY,
    at        TEXT NOT NULL,
    user_id   TEXT,
    authority TEXT,
    entity    TEXT,
    action    TEXT NOT NULL,
    record    TEXT NOT NULL
);
CREATE INDEX access_log_at ON access_log(at);
CREATE INDEX access_log_entity ON access_log(entity, at);
CREATE INDEX requests_closed ON requests(state, closed_at);
-- an exchange's events, to fold it again (blocking, erasure, a logged read of blocked data)
CREATE INDEX events_entity ON events(json_extract(body, '$.subject.entity'));
"""

STEPS.append(_V12)

# A rejected event's refusal as the hub worded it: its English template (a message id of the
# interface catalogs) and parameters (JSON), so that `imi outbox` says it in the user's language.
_V13 = """
ALTER TABLE outbox ADD COLUMN msgid TEXT;
ALTER TABLE outbox ADD COLUMN params TEXT;
"""

STEPS.append(_V13)

# Authority search (imi_cli.directory.search): a prefix index of one letter too, so that a
# search for "k" reads the first rows of one index entry instead of merging every word that
# starts with k. FTS5 takes its prefix option only when created: the index is made again.
_V14 = """
CREATE VIRTUAL TABLE authority_fts_new USING fts5(
    names, competences, filters,
    tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3'
);
INSERT INTO authority_fts_new(authority_fts_new, rank) VALUES ('rank', 'bm25(10.0, 4.0, 0.0)');
INSERT INTO authority_fts_new(rowid, names, competences, filters)
    SELECT rowid, names, competences, filters FROM authority_fts;
DROP TABLE authority_fts;
ALTER TABLE authority_fts_new RENAME TO authority_fts;
"""

STEPS.append(_V14)

# The inbox reads the open requests only (not closed, not withdrawn): at a busy authority a
# small share of the requests it holds, each year more of them closed. This partial index
# holds just those, with the columns the inbox shows, ordered by deadline (the inbox's order),
# so that the inbox reads neither the closed ones nor the records; `request list --overdue`
# reads its range of deadlines from it (bench/bench_inbox.py). The queries repeat its WHERE
# word for word (``views.OPEN_INDEX``): SQLite uses a partial index only then.
_V15 = """
CREATE INDEX requests_open ON requests(deadline, id, state, area, requester, responder, subject, last_activity,
                                       reminders) WHERE state NOT IN ('closed', 'withdrawn');
"""

STEPS.append(_V15)

# The hub's hot paths (issue 17): a signed request deletes the nonces older than the replay
# window; by their time, through an index, not by reading every nonce kept.
_V16 = """
CREATE INDEX request_nonces_at ON request_nonces(at);
"""

STEPS.append(_V16)

# The entity an event is about, as a column given when the event is stored: the index on
# json_extract(body, '$.subject.entity') parsed each body (about 1 KB) as it was inserted,
# ~10 µs of every event a hub sequences or a node pulls (issue 17). A store that forgets to
# give it is told at once, not left with an event no by-entity query finds.
_V17 = """
ALTER TABLE events ADD COLUMN entity TEXT;
UPDATE events SET entity = coalesce(json_extract(body, '$.subject.entity'), '');
DROP INDEX events_entity;
CREATE INDEX events_subject ON events(entity);
CREATE TRIGGER events_entity_given BEFORE INSERT ON events WHEN NEW.entity IS NULL
BEGIN SELECT RAISE(ABORT, 'events.entity is required'); END;
"""

STEPS.append(_V17)

# The data-protection clock's due dates (imi_cli.privacy.due_dates): one row per closed
# exchange whose personal data is not erased yet, with its next date indexed, so that "what is
# due" reads the rows due instead of every closed exchange held (a hub holds them all, and
# asks every minute). Filled from the projections at the clock's first run after this step.
_V18 = """
CREATE TABLE privacy_due (
    entity    TEXT PRIMARY KEY,
    area      TEXT NOT NULL,
    closed_at TEXT NOT NULL,
    block_at  TEXT NOT NULL,
    erase_at  TEXT NOT NULL,
    next_at   TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX privacy_due_next ON privacy_due(next_at);
"""

STEPS.append(_V18)

# Retention (hub/retention.py) looks for settled requests whose last activity is older than
# the period every minute: through this index it reads those, not every request the hub holds.
# The queries repeat its WHERE word for word (SQLite uses a partial index only then).
_V19 = """
CREATE INDEX requests_settled ON requests(last_activity) WHERE state IN ('withdrawn', 'closed');
"""

STEPS.append(_V19)
