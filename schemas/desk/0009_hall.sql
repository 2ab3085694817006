-- The walk-in hall: queues with ticket prefixes, interview rooms and the queues they serve, the
-- day's tickets with their state, and interview records (接谈记录). Projections of `hall.*`.

CREATE TABLE hall_queues (
    code            TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    prefix          TEXT NOT NULL UNIQUE,     -- ticket letter: A012
    service_minutes INTEGER NOT NULL,         -- assumed service time until real ones are known
    active          INTEGER NOT NULL,
    position        INTEGER NOT NULL
);

CREATE TABLE hall_rooms (
    id     TEXT PRIMARY KEY,
    name   TEXT NOT NULL,                     -- 3号接待室
    queues TEXT NOT NULL CHECK (json_valid(queues)),
    state  TEXT NOT NULL                      -- open | paused | closed
);

CREATE TABLE hall_tickets (
    id            TEXT PRIMARY KEY,
    day           TEXT NOT NULL,              -- China date the ticket belongs to
    queue         TEXT NOT NULL,
    seq           INTEGER NOT NULL,
    number        TEXT NOT NULL,              -- A012
    priority      TEXT,                       -- priority class code, NULL = ordinary
    priority_rank INTEGER NOT NULL,           -- lower is served first
    order_key     INTEGER NOT NULL,           -- arrival order within the rank; moved by rules
    status        TEXT NOT NULL,              -- waiting | called | serving | parked | done | no_show
    room_id       TEXT,
    visit_id      TEXT,
    person_id     TEXT,
    display_name  TEXT NOT NULL,              -- masked: 张*三
    visitors      INTEGER NOT NULL,
    reason        TEXT,
    appointment   INTEGER NOT NULL,
    issued_at     TEXT NOT NULL,
    called_at     TEXT,
    calls         INTEGER NOT NULL,
    started_at    TEXT,
    finished_at   TEXT,
    interviewer   TEXT,                       -- 首问责任人: the first interviewer
    matter_id     TEXT,
    no_shows      INTEGER NOT NULL,
    transfers     INTEGER NOT NULL,
    UNIQUE (day, queue, seq)
);
CREATE INDEX hall_tickets_waiting ON hall_tickets (day, status, priority_rank, order_key);

CREATE TABLE hall_interviews (
    id           TEXT PRIMARY KEY,
    ticket_id    TEXT REFERENCES hall_tickets (id),
    matter_id    TEXT REFERENCES matters (id),
    room_id      TEXT,
    interviewer  TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    ended_at     TEXT NOT NULL,
    request      TEXT NOT NULL,
    facts        TEXT NOT NULL,
    summary      TEXT NOT NULL,
    behaviour    TEXT NOT NULL,               -- normal | abnormal
    behaviour_note TEXT,
    present      TEXT NOT NULL CHECK (json_valid(present)),
    disposition  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL
);
CREATE INDEX hall_interviews_matter ON hall_interviews (matter_id);
