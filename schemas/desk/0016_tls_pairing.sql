-- TLS in transit (SECURITY #8 §4, §7): the pinned hub certificate, and the desks paired with
-- this host for the LAN API. Like the rest of the sync bookkeeping (0013), not events: facts
-- about links, never replayed, never sent to the county.

-- The SHA-256 of the hub's certificate (64 lower-case hex digits) when `hub_url` is https: the
-- sync worker accepts exactly that certificate and refuses any other.
ALTER TABLE sync_state ADD COLUMN hub_fingerprint TEXT;

-- One-time pairing codes from `xinfang pair`: only the SHA-256 of the code is kept; a code is
-- used once (`used_at`) and expires.
CREATE TABLE IF NOT EXISTS lan_pairing_codes (
    code_hash  TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT,
    used_by    TEXT
);

-- Desks that presented a code: the SHA-256 of the desk token they send on every call, the
-- address they paired from, and when. A revoked desk must pair again.
CREATE TABLE IF NOT EXISTS lan_desks (
    token_hash TEXT PRIMARY KEY,
    peer       TEXT NOT NULL,
    paired_at  TEXT NOT NULL,
    revoked_at TEXT
);
