-- The cross-centre person lookup (issue 7 §4): a desk asks, the sync worker asks the hub on
-- its next run (at once: the question also requests a run), and the answer waits here for the
-- desk to read. Nothing in a request waits for the network. Bookkeeping like `sync_state`
-- (0013): not events, never sent; the register is encrypted, so the ID number at rest is too.
CREATE TABLE IF NOT EXISTS county_lookups (
    id_number     TEXT PRIMARY KEY,           -- normalised (upper case)
    requested_at  TEXT NOT NULL,
    answered_at   TEXT,                       -- NULL until the hub answered this request
    answer        TEXT CHECK (answer IS NULL OR json_valid(answer)),
    error_code    TEXT,
    error_message TEXT
);
