-- The moment a ticket was first called, for the hall statistics. `called_at` is the latest call
-- (a recall, or the call after a no-show put the ticket back, moves it), so it cannot measure how
-- long a visitor waited before anyone called them. Filled by `projection::apply` from now on;
-- tickets already in the register get it from their first call in the event log, exactly as a
-- replay of the log would set it.

ALTER TABLE hall_tickets ADD COLUMN first_called_at TEXT;

UPDATE hall_tickets SET first_called_at = first.at
FROM (
    SELECT json_extract(payload, '$.ticket_id') AS ticket_id, at, min(rid)
    FROM events
    WHERE kind = 'hall.ticket_moved' AND json_extract(payload, '$.what') IN ('call', 'recall')
    GROUP BY 1
) AS first
WHERE first.ticket_id = hall_tickets.id;
