-- Indexes for the indicators and the monthly report over a million matters: clocks by kind and
-- due date (whatever their status), and handling steps by kind and time. Queries that look up
-- one matter's clocks or steps write `+kind` so the planner keeps to the per-matter index
-- instead of walking every row of a kind.
CREATE INDEX matter_clocks_kind_due ON matter_clocks (kind, due_date);
CREATE INDEX handling_steps_kind_at ON handling_steps (kind, at);
