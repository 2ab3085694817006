-- The handling workflow and the statutory clocks (《信访工作条例》 Arts. 22–36): each started
-- clock with the due date computed when it started (and the calendar version used), the facts
-- of each handling step, who handles the matter now, follow-ups with ratings, and 包案.
-- Projections like the rest: `projection::apply` writes them, `verify` rebuilds and compares.

ALTER TABLE handling_steps ADD COLUMN detail TEXT CHECK (detail IS NULL OR json_valid(detail));

-- Who must act now: the unit a matter was forwarded or assigned to (NULL: this centre) and the
-- user responsible (承办人). For supervision "by unit" and "by handler".
ALTER TABLE matters ADD COLUMN current_unit TEXT;
ALTER TABLE matters ADD COLUMN handler_id TEXT;

CREATE TABLE matter_clocks (
    id               TEXT PRIMARY KEY,
    matter_id        TEXT NOT NULL REFERENCES matters (id),
    kind             TEXT NOT NULL,      -- D1 … D10, S1 … S3
    holder           TEXT,               -- unit that must act; NULL = this centre
    start_date       TEXT NOT NULL,
    due_date         TEXT NOT NULL,
    unit             TEXT NOT NULL,      -- calendar | working
    length           INTEGER NOT NULL,
    rollover         TEXT NOT NULL,
    rolled_from      TEXT,
    calendar_version TEXT NOT NULL,
    rule_ref         TEXT NOT NULL,
    warnings         TEXT NOT NULL CHECK (json_valid(warnings)),
    status           TEXT NOT NULL,      -- open | met | superseded | ended
    started_at       TEXT NOT NULL,
    ended_on         TEXT
);
CREATE INDEX matter_clocks_matter ON matter_clocks (matter_id);
-- Supervision reads open clocks by due date; the partial index keeps that a short seek even
-- with millions of finished clocks.
CREATE INDEX matter_clocks_open_due ON matter_clocks (due_date) WHERE status = 'open';

CREATE TABLE followups (
    id                TEXT PRIMARY KEY,
    matter_id         TEXT NOT NULL REFERENCES matters (id),
    followed_on       TEXT NOT NULL,
    by_name           TEXT NOT NULL,
    method            TEXT NOT NULL,
    result            TEXT NOT NULL,
    acceptance_rating TEXT,
    handling_rating   TEXT,
    query_code        TEXT,
    note              TEXT,
    recorded_at       TEXT NOT NULL,
    recorded_by       TEXT NOT NULL
);
CREATE INDEX followups_matter ON followups (matter_id);

CREATE TABLE matter_ownership (
    matter_id TEXT PRIMARY KEY REFERENCES matters (id),
    leader    TEXT NOT NULL,
    team      TEXT NOT NULL,
    plan      TEXT NOT NULL,
    deadline  TEXT NOT NULL,
    scope     TEXT NOT NULL,
    set_at    TEXT NOT NULL,
    set_by    TEXT NOT NULL
);
