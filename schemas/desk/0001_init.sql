-- The register's first schema: the append-only event log (the source of truth and the sync
-- unit) and the projection tables the UI reads. Every projection row can be rebuilt from the
-- log; `xinfang verify` does exactly that and compares. Times are RFC 3339 UTC text with
-- milliseconds; dates are YYYY-MM-DD (China calendar date).

CREATE TABLE events (
    rid            INTEGER PRIMARY KEY,          -- local application order; never reused
    id             TEXT NOT NULL UNIQUE,         -- UUIDv7
    origin         TEXT NOT NULL,                -- the centre (register) that wrote it
    seq            INTEGER NOT NULL,             -- per-origin, gap-free, starts at 1
    actor          TEXT NOT NULL,                -- user id, or 'system'
    at             TEXT NOT NULL,
    kind           TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    payload        TEXT NOT NULL CHECK (json_valid(payload)),
    UNIQUE (origin, seq)
);
CREATE INDEX events_kind ON events (kind);
-- A matter's timeline is every event whose payload names it.
CREATE INDEX events_matter ON events (json_extract(payload, '$.matter_id'))
    WHERE json_extract(payload, '$.matter_id') IS NOT NULL;

-- Append-only is enforced by the database, not only by the code that writes.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;

-- Not a projection: which sessions are signed in. Lost on purpose if the file is restored.
CREATE TABLE sessions (
    token      TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen  TEXT NOT NULL
);

-- ---------------------------------------------------------------- projections

CREATE TABLE centre (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    origin TEXT NOT NULL,
    code   TEXT NOT NULL,       -- used in case numbers: <code>-<yyyy>-<seq>
    name   TEXT NOT NULL,       -- 登记部门 printed on slips
    created_at TEXT NOT NULL
);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL CHECK (json_valid(value)),
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    active        INTEGER NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE persons (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    id_type           TEXT NOT NULL,        -- resident_id, passport, other, none
    id_number         TEXT UNIQUE,          -- normalised; NULL when not given
    sex               TEXT,
    birth_date        TEXT,
    ethnicity         TEXT,
    phone             TEXT,
    household_address TEXT,
    current_address   TEXT,
    workplace         TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX persons_phone ON persons (phone);
CREATE INDEX persons_name ON persons (name);

CREATE TABLE visits (
    id                   TEXT PRIMARY KEY,
    visited_at           TEXT NOT NULL,
    place                TEXT,
    visitor_count        INTEGER NOT NULL,
    representative_count INTEGER NOT NULL,
    is_group             INTEGER NOT NULL,
    accompanying         TEXT NOT NULL CHECK (json_valid(accompanying)),
    skipped_level        INTEGER NOT NULL,
    first_contact_user   TEXT NOT NULL,
    note                 TEXT,
    created_at           TEXT NOT NULL
);

CREATE TABLE visit_persons (
    visit_id          TEXT NOT NULL REFERENCES visits (id),
    person_id         TEXT NOT NULL REFERENCES persons (id),
    is_representative INTEGER NOT NULL,
    PRIMARY KEY (visit_id, person_id)
);

CREATE TABLE matters (
    rid                  INTEGER PRIMARY KEY,  -- stable row number: search index key and recency order
    id                   TEXT NOT NULL UNIQUE,
    number               TEXT NOT NULL UNIQUE, -- local 信访件编号
    upstream_number      TEXT,                 -- filled after sync
    channel              TEXT NOT NULL,
    purpose              TEXT NOT NULL,
    matter_class         TEXT NOT NULL,
    route                TEXT,
    content_category     TEXT,
    region_code          TEXT,
    involved_units       TEXT,
    request              TEXT NOT NULL,
    facts_reasons        TEXT NOT NULL,
    summary              TEXT NOT NULL,
    received_at          TEXT NOT NULL,
    received_date        TEXT NOT NULL,        -- China date of received_at, for date filters
    registered_at        TEXT NOT NULL,
    is_repeat            INTEGER NOT NULL,
    repeat_of            TEXT REFERENCES matters (id),
    is_first_petition    INTEGER NOT NULL,
    litigation           INTEGER NOT NULL,
    anonymous            INTEGER NOT NULL,
    notice_exempt        INTEGER NOT NULL,
    notice_exempt_reason TEXT,
    is_joint             INTEGER NOT NULL,
    visit_id             TEXT REFERENCES visits (id),
    status               TEXT NOT NULL,
    registering_unit     TEXT NOT NULL,
    registered_by        TEXT NOT NULL,
    primary_person_id    TEXT REFERENCES persons (id),
    petitioner_names     TEXT NOT NULL,        -- 张三、李四: for lists and search
    updated_at           TEXT NOT NULL
);
CREATE INDEX matters_received ON matters (received_date);
CREATE INDEX matters_channel ON matters (channel);
CREATE INDEX matters_class ON matters (matter_class);
CREATE INDEX matters_status ON matters (status);
CREATE INDEX matters_region ON matters (region_code);
CREATE INDEX matters_repeat_of ON matters (repeat_of);

CREATE TABLE matter_persons (
    matter_id  TEXT NOT NULL REFERENCES matters (id),
    person_id  TEXT NOT NULL REFERENCES persons (id),
    is_primary INTEGER NOT NULL,
    position   INTEGER NOT NULL,
    PRIMARY KEY (matter_id, person_id)
);
CREATE INDEX matter_persons_person ON matter_persons (person_id);

CREATE TABLE handling_steps (
    id        TEXT PRIMARY KEY,
    matter_id TEXT NOT NULL REFERENCES matters (id),
    kind      TEXT NOT NULL,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    unit      TEXT,
    note      TEXT
);
CREATE INDEX handling_steps_matter ON handling_steps (matter_id, at);

CREATE TABLE attachments (
    id         TEXT PRIMARY KEY,
    matter_id  TEXT NOT NULL REFERENCES matters (id),
    file_name  TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size       INTEGER NOT NULL,
    sha256     TEXT NOT NULL,
    added_at   TEXT NOT NULL,
    added_by   TEXT NOT NULL
);
CREATE INDEX attachments_matter ON attachments (matter_id);

CREATE TABLE case_counters (
    centre_code TEXT NOT NULL,
    year        INTEGER NOT NULL,
    last        INTEGER NOT NULL,
    PRIMARY KEY (centre_code, year)
);
