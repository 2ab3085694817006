-- County directives taken into the register (issue 7 §4): 交办 and 转送 become matters of this
-- centre, 督办, 催办 and 更正 attach to the matter they name. `county_directives` is a projection of
-- `matter.county_directive` events; the inbox columns are bookkeeping of the apply step, like
-- the rest of `county_inbox` (0013): not events, never sent.

CREATE TABLE IF NOT EXISTS county_directives (
    id           TEXT PRIMARY KEY,            -- the hub event's id
    matter_id    TEXT NOT NULL REFERENCES matters (id),
    kind         TEXT NOT NULL CHECK (kind IN ('assignment', 'forward', 'supervision', 'reminder',
                                           'correction')),
    reference    TEXT NOT NULL,               -- 文号
    from_unit    TEXT NOT NULL,               -- 发文单位
    due_on       TEXT,                        -- 限期 (China date)
    message      TEXT,
    issued_at    TEXT NOT NULL,               -- when the county wrote it
    received_at  TEXT NOT NULL                -- when this register took it in
);
CREATE INDEX IF NOT EXISTS county_directives_matter ON county_directives (matter_id);

-- Both values of a field the centre and the county changed before they met (issue 7 §5),
-- until a supervisor keeps one: projection of matter.conflict_recorded / _resolved.
CREATE TABLE IF NOT EXISTS matter_conflicts (
    id             TEXT PRIMARY KEY,
    matter_id      TEXT NOT NULL REFERENCES matters (id),
    field          TEXT NOT NULL,
    local_value    TEXT,
    county_value   TEXT,
    county_was     TEXT,
    directive_id   TEXT NOT NULL,
    opened_at      TEXT NOT NULL,
    resolved_at    TEXT,
    resolved_by    TEXT,
    keep           TEXT CHECK (keep IN ('local', 'county')),
    resolved_value TEXT
);
CREATE INDEX IF NOT EXISTS matter_conflicts_matter ON matter_conflicts (matter_id);
CREATE INDEX IF NOT EXISTS matter_conflicts_open ON matter_conflicts (opened_at)
    WHERE resolved_at IS NULL;

-- What applying each pulled event did: `applied_at` and a sentence for the inbox list, or the
-- refusal (code + Chinese message) that a supervisor sees until the county sends a correction.
-- A row with neither is still to be applied (the next sync run, or the next start, does it).
ALTER TABLE county_inbox ADD COLUMN applied_at TEXT;
ALTER TABLE county_inbox ADD COLUMN outcome TEXT;
ALTER TABLE county_inbox ADD COLUMN error_code TEXT;
ALTER TABLE county_inbox ADD COLUMN error_message TEXT;
-- The rows still to apply, in order: what `county::apply_inbox` reads next. Partial, so it
-- stays as small as the backlog however long the inbox grows.
CREATE INDEX IF NOT EXISTS county_inbox_pending ON county_inbox (cursor, id)
    WHERE applied_at IS NULL AND error_code IS NULL;
