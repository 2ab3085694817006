-- USB bundles (issue 7 §7), as schemas/hub/0002_bundle_keys.sql: the keys that let the hub
-- and a centre trust each other's signed files without a network
-- (crates/xinfang-sync/src/bundle.rs explains the trust).

-- The hub's own ed25519 secret key (hex), made on first use; it signs the bundles the hub
-- writes for centres. Kept in the store so a restored backup signs as before.
ALTER TABLE hub ADD COLUMN signing_key TEXT;

-- A centre's ed25519 public key (hex), learned at network enrolment or from its first bundle;
-- a bundle for this centre's origin is accepted only when signed with it.
ALTER TABLE centres ADD COLUMN public_key TEXT;
-- For a centre that enrolled by bundle: the proof (HMAC keyed with the code's hash over the
-- hub key and the centre's origin) that the hub's bundles carry, so the desk can trust the hub
-- key on first use.
ALTER TABLE centres ADD COLUMN enrol_proof TEXT;
-- The hub cursor of the last county event the centre reported having (in its bundles); the
-- hub's bundle back starts after it.
ALTER TABLE centres ADD COLUMN bundle_cursor BIGINT NOT NULL DEFAULT 0;
