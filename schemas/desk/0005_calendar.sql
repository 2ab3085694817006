-- Holiday schedules imported by an administrator (next year's State Council notice, or a
-- corrected one) and the county overlay (local holidays and working days). The bundled years
-- come with the app; a stored year of the same number replaces the bundled one when the
-- register opens. Projections of `calendar.year_imported` and `calendar.overlay_set`.

CREATE TABLE calendar_years (
    year        INTEGER PRIMARY KEY,
    version     TEXT NOT NULL,
    body        TEXT NOT NULL CHECK (json_valid(body)),
    imported_at TEXT NOT NULL,
    imported_by TEXT NOT NULL
);

CREATE TABLE calendar_overlay (
    date TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT
);
