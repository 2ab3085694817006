-- Per 信访日期, the range of matter row numbers received that day. Searches with a date range
-- turn it into a row-number window, which both the primary key and the FTS5 indexes can seek
-- to directly; without it, "一个月内" over a million matters walks every newer row first.
-- A projection like any other: `projection::apply` maintains it and `verify` compares it.
CREATE TABLE matter_days (
    received_date TEXT PRIMARY KEY,
    first_rid     INTEGER NOT NULL,
    last_rid      INTEGER NOT NULL,
    matters       INTEGER NOT NULL
);

INSERT INTO matter_days (received_date, first_rid, last_rid, matters)
SELECT received_date, min(rid), max(rid), count(*) FROM matters GROUP BY received_date;
