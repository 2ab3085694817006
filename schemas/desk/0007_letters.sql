-- Documents issued from a case (notices, opinions, letters to units) and every print of them:
-- which template version, the SHA-256 of the exact PDF, who printed it where, how many copies,
-- and whether it was a reprint (补打). Projections of `letter.issued` and `letter.printed`.

CREATE TABLE letters (
    id               TEXT PRIMARY KEY,
    matter_id        TEXT NOT NULL REFERENCES matters (id),
    kind             TEXT NOT NULL,
    step_id          TEXT,
    sha256           TEXT NOT NULL,
    content_hash     TEXT NOT NULL,
    template_version TEXT NOT NULL,
    pages            INTEGER NOT NULL,
    issued_at        TEXT NOT NULL,
    issued_by        TEXT NOT NULL
);
CREATE INDEX letters_matter ON letters (matter_id, issued_at);

CREATE TABLE letter_prints (
    id         TEXT PRIMARY KEY,
    letter_id  TEXT NOT NULL REFERENCES letters (id),
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    printer    TEXT NOT NULL,
    copies     INTEGER NOT NULL,
    reprint    INTEGER NOT NULL
);
CREATE INDEX letter_prints_letter ON letter_prints (letter_id, at);
