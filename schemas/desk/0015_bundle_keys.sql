-- USB bundles (issue 7 §7): the keys that let the desk and the county hub trust each other's
-- signed files without a network (crates/xinfang-sync/src/bundle.rs explains the trust).
-- Like the rest of the sync bookkeeping (0013), not events: never replayed, never sent.

-- The centre's ed25519 key pair, made once (on the first bundle or enrolment) and kept; the
-- secret never leaves this file. One row.
CREATE TABLE IF NOT EXISTS sync_keys (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    signing_key TEXT NOT NULL,                -- 32 secret bytes, hex
    public_key  TEXT NOT NULL,                -- hex; what the hub checks bundles with
    created_at  TEXT NOT NULL
);

-- The hub's public key (hex), learned at network enrolment, from the first hub bundle with a
-- valid enrolment proof, or set by an administrator; hub bundles signed otherwise are refused.
ALTER TABLE sync_state ADD COLUMN hub_public_key TEXT;
-- `created_at` of the newest hub bundle applied: an older bundle (imported again, or late)
-- still delivers its county events but does not move the mark back.
ALTER TABLE sync_state ADD COLUMN last_hub_bundle_at TEXT;
