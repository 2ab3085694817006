-- Identity and sessions (issue 8 §1): forced change of an initial or reset password, the
-- password history the policy checks, and the failed sign-ins behind the lockout.

-- Set by `user.created` (an account an administrator made, or a generated first password) and
-- `user.password_reset`; cleared by `user.password_changed`. Accounts already in the register
-- chose their passwords under the old rules and are not asked again.
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;

-- Projection: the hashes of a user's last five passwords (the current one included), from
-- `user.created`, `user.password_changed` and `user.password_reset`. `seq` is the event's
-- sequence number, so the order survives a replay. The register already holds every earlier
-- password in its log; they are taken from there, exactly as a replay would.
CREATE TABLE user_passwords (
    user_id       TEXT NOT NULL,
    seq           INTEGER NOT NULL,
    password_hash TEXT NOT NULL,
    set_at        TEXT NOT NULL,
    PRIMARY KEY (user_id, seq)
);

INSERT INTO user_passwords (user_id, seq, password_hash, set_at)
SELECT json_extract(payload, '$.user_id'), seq, json_extract(payload, '$.password_hash'), at
FROM events
WHERE kind IN ('user.created', 'user.password_changed')
  AND json_extract(payload, '$.user_id') IN (SELECT id FROM users);

DELETE FROM user_passwords WHERE rowid IN (
    SELECT rowid FROM (
        SELECT rowid, row_number() OVER (PARTITION BY user_id ORDER BY seq DESC) AS n
        FROM user_passwords
    ) WHERE n > 5
);

-- Not a projection, and not events: consecutive failed sign-ins per user name, kept so that a
-- restart does not lift a lockout. Keyed by the SHA-256 of the name as typed, so an unknown
-- name is counted (and locked) like a real one and a password typed into the name field is not
-- stored. Lost on purpose if the file is restored, like `sessions`.
CREATE TABLE sign_in_failures (
    name_key       TEXT PRIMARY KEY,
    failures       INTEGER NOT NULL,
    last_failed_at TEXT NOT NULL,
    locked_until   TEXT
);

-- Disabling a user or resetting their password ends their sessions.
CREATE INDEX sessions_user ON sessions (user_id);
