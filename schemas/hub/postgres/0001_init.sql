-- The county hub's store in PostgreSQL: the same tables, columns and rules as the SQLite
-- migration of the same number (schemas/hub/0001_init.sql), in PostgreSQL's dialect. Ids are
-- `uuid`; times stay RFC 3339 UTC text with milliseconds, as the hub writes them, so both
-- stores hand back the same strings; payloads are `json`, which keeps the text as written
-- (like SQLite's checked TEXT) where `jsonb` would re-order keys and refuse `\u0000`.
-- Numbers the hub gives out (`events.cursor`, `request_log.id`) are not sequences: the store
-- assigns max + 1 under the write lock, so they are gap-free like SQLite's rowids.

-- One row: the hub's own identity. Events the county publishes carry this origin.
CREATE TABLE hub (
    singleton  INTEGER PRIMARY KEY CHECK (singleton = 1),
    origin     UUID NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE centres (
    id                 UUID PRIMARY KEY,          -- UUIDv7, the hub's id of the centre
    code               TEXT NOT NULL,             -- centre code (XF3301), as in case numbers
    name               TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    -- The one-time enrolment code: only its SHA-256 is kept; it stays after use so a replay
    -- is told "already used" rather than "unknown".
    enrol_code_hash    TEXT NOT NULL UNIQUE,
    enrol_expires_at   TEXT NOT NULL,
    enrolled_at        TEXT,                      -- set once, when the code is redeemed
    origin             UUID,                      -- the centre register's origin, from enrolment
    credential_hash    TEXT UNIQUE,               -- SHA-256 of the bearer credential
    revoked_at         TEXT,
    last_contact       TEXT,
    CHECK ((enrolled_at IS NULL) = (credential_hash IS NULL)),
    CHECK ((enrolled_at IS NULL) = (origin IS NULL))
);
-- Among centres still in service, a code and an origin belong to one centre. A revoked centre
-- gives both up, so the same desk can be enrolled again after a lost credential.
CREATE UNIQUE INDEX centres_live_code ON centres (code) WHERE revoked_at IS NULL;
CREATE UNIQUE INDEX centres_live_origin ON centres (origin)
    WHERE revoked_at IS NULL AND origin IS NOT NULL;

-- Every accepted event, in the hub's arrival order (`cursor`), centres' and the county's own.
CREATE TABLE events (
    cursor         BIGINT PRIMARY KEY CHECK (cursor >= 1), -- the hub's arrival sequence
    id             UUID NOT NULL UNIQUE,
    origin         UUID NOT NULL,
    seq            BIGINT NOT NULL CHECK (seq >= 1),
    actor          TEXT NOT NULL,
    at             TEXT NOT NULL,
    kind           TEXT NOT NULL,
    schema_version BIGINT NOT NULL,
    payload        JSON NOT NULL,
    received_at    TEXT NOT NULL,
    pushed_by      UUID REFERENCES centres (id),  -- NULL for the county's own events
    UNIQUE (origin, seq)
);
CREATE FUNCTION hub_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the hub event log is append-only';
END;
$$;
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
    FOR EACH ROW EXECUTE FUNCTION hub_events_append_only();
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION hub_events_append_only();
-- SQLite has no TRUNCATE; here it would bypass the row triggers, so it is refused too.
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION hub_events_append_only();

-- Events that arrived above a gap in their origin's seq; moved into `events` (and given a
-- cursor) in seq order once the gap fills.
CREATE TABLE held (
    id             UUID PRIMARY KEY,
    origin         UUID NOT NULL,
    seq            BIGINT NOT NULL CHECK (seq >= 1),
    actor          TEXT NOT NULL,
    at             TEXT NOT NULL,
    kind           TEXT NOT NULL,
    schema_version BIGINT NOT NULL,
    payload        JSON NOT NULL,
    received_at    TEXT NOT NULL,
    pushed_by      UUID REFERENCES centres (id),
    UNIQUE (origin, seq)
);

-- Who may pull an event: one centre, or every centre (`centre_id` NULL: reference data).
CREATE TABLE routes (
    cursor    BIGINT NOT NULL REFERENCES events (cursor),
    centre_id UUID REFERENCES centres (id),
    routed_at TEXT NOT NULL
);
CREATE UNIQUE INDEX routes_to_centre ON routes (centre_id, cursor) WHERE centre_id IS NOT NULL;
CREATE UNIQUE INDEX routes_to_all ON routes (cursor) WHERE centre_id IS NULL;

-- The highest contiguous seq stored per origin: what push acknowledges.
CREATE TABLE marks (
    origin       UUID PRIMARY KEY,
    acknowledged BIGINT NOT NULL CHECK (acknowledged >= 0)
);

-- Every request, refused or not.
CREATE TABLE request_log (
    id        BIGINT PRIMARY KEY,
    at        TEXT NOT NULL,
    centre_id UUID,                               -- when the request named or proved one
    endpoint  TEXT NOT NULL,                      -- `POST /api/v1/push`
    status    INTEGER NOT NULL,                   -- HTTP status
    outcome   TEXT NOT NULL CHECK (outcome IN ('ok', 'refused', 'failed')),
    code      TEXT,                               -- error code when not ok
    message   TEXT,                               -- Chinese message or a summary
    remote    TEXT                                -- peer address
);
CREATE INDEX request_log_centre ON request_log (centre_id, id);
