-- A ticket keeps the number its first queue gave it (A005) when it is transferred to another
-- queue, so "one number per day and queue" is a rule about the queue that issued it, not the
-- queue it waits in now. 0009 put the uniqueness on (day, queue, seq), which made the
-- transfer of A005 into a queue that had already issued its own fifth ticket fail, and would
-- have let the first queue issue A005 a second time. The table is rebuilt with
-- `issued_queue` (SQLite cannot drop a constraint in place); foreign keys are off while a
-- migration runs and checked before it commits (db::migrate_to).

CREATE TABLE hall_tickets_new (
    id              TEXT PRIMARY KEY,
    day             TEXT NOT NULL,            -- China date the ticket belongs to
    queue           TEXT NOT NULL,            -- the queue it waits in now
    issued_queue    TEXT NOT NULL,            -- the queue that numbered it
    seq             INTEGER NOT NULL,
    number          TEXT NOT NULL,            -- A012
    priority        TEXT,                     -- priority class code, NULL = ordinary
    priority_rank   INTEGER NOT NULL,         -- lower is served first
    order_key       INTEGER NOT NULL,         -- arrival order within the rank; moved by rules
    status          TEXT NOT NULL,            -- waiting | called | serving | parked | done | no_show
    room_id         TEXT,
    visit_id        TEXT,
    person_id       TEXT,
    display_name    TEXT NOT NULL,            -- masked: 张*三
    visitors        INTEGER NOT NULL,
    reason          TEXT,
    appointment     INTEGER NOT NULL,
    issued_at       TEXT NOT NULL,
    called_at       TEXT,
    calls           INTEGER NOT NULL,
    started_at      TEXT,
    finished_at     TEXT,
    interviewer     TEXT,                     -- 首问责任人: the first interviewer
    matter_id       TEXT,
    no_shows        INTEGER NOT NULL,
    transfers       INTEGER NOT NULL,
    first_called_at TEXT,
    UNIQUE (day, issued_queue, seq)
);

-- The issuing queue is the one named in the ticket's own `hall.ticket_issued` event.
INSERT INTO hall_tickets_new (id, day, queue, issued_queue, seq, number, priority,
    priority_rank, order_key, status, room_id, visit_id, person_id, display_name, visitors,
    reason, appointment, issued_at, called_at, calls, started_at, finished_at, interviewer,
    matter_id, no_shows, transfers, first_called_at)
SELECT t.id, t.day, t.queue,
    coalesce((SELECT json_extract(e.payload, '$.queue') FROM events e
              WHERE e.kind = 'hall.ticket_issued'
                AND json_extract(e.payload, '$.ticket_id') = t.id), t.queue),
    t.seq, t.number, t.priority, t.priority_rank, t.order_key, t.status, t.room_id,
    t.visit_id, t.person_id, t.display_name, t.visitors, t.reason, t.appointment, t.issued_at,
    t.called_at, t.calls, t.started_at, t.finished_at, t.interviewer, t.matter_id, t.no_shows,
    t.transfers, t.first_called_at
FROM hall_tickets t;

DROP TABLE hall_tickets;
ALTER TABLE hall_tickets_new RENAME TO hall_tickets;
CREATE INDEX hall_tickets_waiting ON hall_tickets (day, status, priority_rank, order_key);
