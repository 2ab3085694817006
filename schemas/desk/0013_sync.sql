-- Sync with the county hub (issue 7 §6): the desk's own bookkeeping of the exchange.
--
-- Neither events nor projections, like `sessions`: where the hub is, the credential it gave
-- this centre, how far it has acknowledged our log and how far we have pulled its, and how the
-- last attempt went are facts about the link, not about the register. They are not replayed,
-- `verify` does not compare them, and a restored file simply syncs again (the hub's mark and
-- the inbox's unique ids make that harmless).

-- One row. `acknowledged` is the hub's mark of our origin (every seq 1..=acknowledged is at
-- the hub); `pull_cursor` the hub's cursor of the last event pulled; `requested_at` is set by
-- `sync_request` and cleared when the worker starts a run.
CREATE TABLE IF NOT EXISTS sync_state (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    hub_url            TEXT,
    enrolment_code     TEXT,
    credential         TEXT,
    hub_centre_id      TEXT,
    acknowledged       INTEGER NOT NULL DEFAULT 0,
    pull_cursor        INTEGER NOT NULL DEFAULT 0,
    last_attempt       TEXT,
    last_success       TEXT,
    last_error_code    TEXT,
    last_error_message TEXT,
    last_error_at      TEXT,
    requested_at       TEXT
);
INSERT OR IGNORE INTO sync_state (id) VALUES (1);

-- Events pulled from the hub (交办, 转送, 督办, 催办, reference data), as they came. Applying a
-- pulled event twice changes nothing: `id` is unique and rows go in with INSERT OR IGNORE.
CREATE TABLE IF NOT EXISTS county_inbox (
    cursor       INTEGER NOT NULL,
    id           TEXT NOT NULL UNIQUE,
    origin       TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL CHECK (json_valid(payload)),
    at           TEXT NOT NULL,
    received_at  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS county_inbox_cursor ON county_inbox (cursor);
