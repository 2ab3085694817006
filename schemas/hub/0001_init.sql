-- The county hub's store: enrolled centres, every centre's events in the hub's own arrival
-- order, events held above a gap, routes (which centre may pull which event), the
-- acknowledged mark per origin, and a log of every request.
-- Times are RFC 3339 UTC text with milliseconds; ids are UUID text.

-- One row: the hub's own identity. Events the county publishes carry this origin.
CREATE TABLE hub (
    singleton  INTEGER PRIMARY KEY CHECK (singleton = 1),
    origin     TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE centres (
    id                 TEXT PRIMARY KEY,          -- UUIDv7, the hub's id of the centre
    code               TEXT NOT NULL,             -- centre code (XF3301), as in case numbers
    name               TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    -- The one-time enrolment code: only its SHA-256 is kept; it stays after use so a replay
    -- is told "already used" rather than "unknown".
    enrol_code_hash    TEXT NOT NULL UNIQUE,
    enrol_expires_at   TEXT NOT NULL,
    enrolled_at        TEXT,                      -- set once, when the code is redeemed
    origin             TEXT,                      -- the centre register's origin, from enrolment
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
    cursor         INTEGER PRIMARY KEY,           -- the hub's arrival sequence; never reused
    id             TEXT NOT NULL UNIQUE,
    origin         TEXT NOT NULL,
    seq            INTEGER NOT NULL CHECK (seq >= 1),
    actor          TEXT NOT NULL,
    at             TEXT NOT NULL,
    kind           TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    payload        TEXT NOT NULL CHECK (json_valid(payload)),
    received_at    TEXT NOT NULL,
    pushed_by      TEXT REFERENCES centres (id),  -- NULL for the county's own events
    UNIQUE (origin, seq)
);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the hub event log is append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the hub event log is append-only'); END;

-- Events that arrived above a gap in their origin's seq; moved into `events` (and given a
-- cursor) in seq order once the gap fills.
CREATE TABLE held (
    id             TEXT PRIMARY KEY,
    origin         TEXT NOT NULL,
    seq            INTEGER NOT NULL CHECK (seq >= 1),
    actor          TEXT NOT NULL,
    at             TEXT NOT NULL,
    kind           TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    payload        TEXT NOT NULL CHECK (json_valid(payload)),
    received_at    TEXT NOT NULL,
    pushed_by      TEXT REFERENCES centres (id),
    UNIQUE (origin, seq)
);

-- Who may pull an event: one centre, or every centre (`centre_id` NULL: reference data).
CREATE TABLE routes (
    cursor    INTEGER NOT NULL REFERENCES events (cursor),
    centre_id TEXT REFERENCES centres (id),
    routed_at TEXT NOT NULL
);
CREATE UNIQUE INDEX routes_to_centre ON routes (centre_id, cursor) WHERE centre_id IS NOT NULL;
CREATE UNIQUE INDEX routes_to_all ON routes (cursor) WHERE centre_id IS NULL;

-- The highest contiguous seq stored per origin: what push acknowledges.
CREATE TABLE marks (
    origin       TEXT PRIMARY KEY,
    acknowledged INTEGER NOT NULL CHECK (acknowledged >= 0)
);

-- Every request, refused or not.
CREATE TABLE request_log (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    centre_id TEXT,                               -- when the request named or proved one
    endpoint  TEXT NOT NULL,                      -- `POST /api/v1/push`
    status    INTEGER NOT NULL,                   -- HTTP status
    outcome   TEXT NOT NULL CHECK (outcome IN ('ok', 'refused', 'failed')),
    code      TEXT,                               -- error code when not ok
    message   TEXT,                               -- Chinese message or a summary
    remote    TEXT                                -- peer address
);
CREATE INDEX request_log_centre ON request_log (centre_id, id);
