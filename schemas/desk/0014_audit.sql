-- The audit trail (issue 8 §3, 等保 2.0 安全审计): who did what, from which desk, to what, and
-- how it ended. Sign-ins and failed sign-ins, reads of full records, every change, prints,
-- exports, backups and configuration changes each add one row.
--
-- Not events: an audit row records an attempt, including refused ones, and a read changes
-- nothing in the register, so the rows are neither replayed nor compared by `verify` as a
-- projection, and they never travel to the county. They are chained instead: `hash` is the
-- SHA-256 (hex) of the previous row's hash and this row's fields (`audit::row_hash`), so
-- `verify` finds an edited, inserted or deleted row. The triggers stop ordinary SQL from
-- changing the trail at all; the chain catches anyone who drops them first.
--
-- Kept for good: the law asks for at least 180 days, and deleting the oldest rows would need an
-- anchor that a forger could move as easily.
CREATE TABLE IF NOT EXISTS audit_log (
    seq        INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    user_id    TEXT,
    username   TEXT NOT NULL,
    role       TEXT,
    desk       TEXT NOT NULL,
    operation  TEXT NOT NULL,
    object     TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    detail     TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL UNIQUE
);
CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log (at);
CREATE INDEX IF NOT EXISTS audit_log_user ON audit_log (username, at);
-- The sign-in rate limit counts a desk's recent failures.
CREATE INDEX IF NOT EXISTS audit_log_desk ON audit_log (desk, operation, at);

CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

-- The desk a session signed in from (the peer address over HTTP, 本机 in the shell), so that
-- every audit row of the session can name it.
ALTER TABLE sessions ADD COLUMN desk TEXT NOT NULL DEFAULT '';
