-- Progress of a long sync run for the sync panel (issue 7 §6): what there was to do when the
-- run started. With the live mark and inbox count the panel shows how far the run has got.
-- Bookkeeping like the rest of `sync_state` (0013): not events, never sent.
ALTER TABLE sync_state ADD COLUMN run_waiting INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sync_state ADD COLUMN run_inbox INTEGER NOT NULL DEFAULT 0;
