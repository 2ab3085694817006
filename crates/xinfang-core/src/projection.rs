//! Applies events to the projection tables. The same function runs when an operation writes and
//! when `verify` rebuilds the tables from the log, which is what makes the rebuild comparison
//! meaningful: there is no second code path that could drift.

use rusqlite::{Connection, OptionalExtension, params, types::Value};

use crate::{
    Error, Result,
    clock::{china_date, fmt_utc},
    events::{Event, EventBody, MatterRecord, PersonRecord},
    model::{MatterStatus, StepKind},
    search,
};

/// The projection tables `verify` compares, each with the columns that order it.
pub const TABLES: &[(&str, &str)] = &[
    ("centre", "id"),
    ("settings", "key"),
    ("users", "id"),
    ("user_passwords", "user_id, seq"),
    ("persons", "id"),
    ("visits", "id"),
    ("visit_persons", "visit_id, person_id"),
    ("matters", "rid"),
    ("matter_persons", "matter_id, person_id"),
    ("handling_steps", "id"),
    ("attachments", "id"),
    ("case_counters", "centre_code, year"),
    ("matter_days", "received_date"),
    ("matter_clocks", "id"),
    ("followups", "id"),
    ("matter_ownership", "matter_id"),
    ("calendar_years", "year"),
    ("calendar_overlay", "date"),
    ("letters", "id"),
    ("letter_prints", "id"),
    ("hall_queues", "code"),
    ("hall_rooms", "id"),
    ("hall_tickets", "id"),
    ("hall_interviews", "id"),
    ("risks", "id"),
    ("risk_progress", "id"),
    ("county_directives", "id"),
    ("matter_conflicts", "id"),
];

/// Applies one event. `index_search` is false during bulk loads and rebuilds, where the search
/// index is filled once at the end (`search::reindex`).
pub fn apply(conn: &Connection, event: &Event, index_search: bool) -> Result<()> {
    let at = fmt_utc(event.at);
    match &event.body {
        EventBody::CentreInitialised { code, name } => {
            conn.execute(
                "INSERT INTO centre (id, origin, code, name, created_at) VALUES (1, ?1, ?2, ?3, ?4)",
                params![event.origin.to_string(), code, name, at],
            )?;
        }
        EventBody::SettingChanged { key, value } => {
            conn.execute(
                "INSERT INTO settings (key, value, updated_at, updated_by) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value,
                   updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                params![key, serde_json::to_string(value)?, at, event.actor],
            )?;
        }
        EventBody::UserCreated(user) => {
            conn.execute(
                "INSERT INTO users (id, username, display_name, role, password_hash, active,
                   must_change_password, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?7, ?7)",
                params![
                    user.user_id.to_string(),
                    user.username,
                    user.display_name,
                    user.role.code(),
                    user.password_hash,
                    user.must_change_password,
                    at
                ],
            )?;
            remember_password(conn, event, &user.user_id, &user.password_hash, &at)?;
        }
        EventBody::UserPasswordChanged {
            user_id,
            password_hash,
        }
        | EventBody::UserPasswordReset {
            user_id,
            password_hash,
        } => {
            let must_change = matches!(event.body, EventBody::UserPasswordReset { .. });
            conn.execute(
                "UPDATE users SET password_hash = ?2, must_change_password = ?3, updated_at = ?4
                 WHERE id = ?1",
                params![user_id.to_string(), password_hash, must_change, at],
            )?;
            remember_password(conn, event, user_id, password_hash, &at)?;
        }
        EventBody::UserActiveChanged { user_id, active } => {
            conn.execute(
                "UPDATE users SET active = ?2, updated_at = ?3 WHERE id = ?1",
                params![user_id.to_string(), active, at],
            )?;
        }
        EventBody::PersonRegistered(person) => {
            conn.prepare_cached(
                "INSERT INTO persons (id, name, id_type, id_number, sex, birth_date, ethnicity,
                   phone, household_address, current_address, workplace, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)",
            )?
            .execute(rusqlite::params_from_iter(person_params(person, &at)))?;
        }
        EventBody::PersonUpdated(person) => {
            let changed = conn
                .prepare_cached(
                    "UPDATE persons SET name = ?2, id_type = ?3, id_number = ?4, sex = ?5,
                   birth_date = ?6, ethnicity = ?7, phone = ?8, household_address = ?9,
                   current_address = ?10, workplace = ?11, updated_at = ?12 WHERE id = ?1",
                )?
                .execute(rusqlite::params_from_iter(person_params(person, &at)))?;
            if changed != 1 {
                return Err(Error::Internal(format!(
                    "person {} missing",
                    person.person_id
                )));
            }
            // A renamed person changes the petitioner names shown on (and searched in) matters.
            let matter_ids: Vec<String> = conn
                .prepare_cached("SELECT matter_id FROM matter_persons WHERE person_id = ?1")?
                .query_map([person.person_id.to_string()], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            for matter_id in matter_ids {
                refresh_petitioner_names(conn, &matter_id)?;
                if index_search {
                    search::index_matter(conn, &matter_id)?;
                }
            }
        }
        EventBody::VisitRegistered(visit) => {
            conn.execute(
                "INSERT INTO visits (id, visited_at, place, visitor_count, representative_count,
                   is_group, accompanying, skipped_level, first_contact_user, note, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    visit.visit_id.to_string(),
                    fmt_utc(visit.visited_at),
                    visit.place,
                    visit.visitor_count,
                    visit.representative_count,
                    visit.is_group,
                    serde_json::to_string(&visit.accompanying)?,
                    visit.skipped_level,
                    visit.first_contact_user.to_string(),
                    visit.note,
                    at
                ],
            )?;
            for person in &visit.persons {
                conn.execute(
                    "INSERT INTO visit_persons (visit_id, person_id, is_representative)
                     VALUES (?1, ?2, ?3)",
                    params![
                        visit.visit_id.to_string(),
                        person.person_id.to_string(),
                        person.is_representative
                    ],
                )?;
            }
        }
        EventBody::MatterRegistered(matter) => {
            insert_matter(conn, event, matter, &at)?;
            if index_search {
                search::index_matter(conn, &matter.matter_id.to_string())?;
            }
        }
        EventBody::MatterRepeatLinked {
            matter_id,
            repeat_of,
        } => {
            conn.execute(
                "UPDATE matters SET is_repeat = 1, repeat_of = ?2, updated_at = ?3 WHERE id = ?1",
                params![matter_id.to_string(), repeat_of.to_string(), at],
            )?;
        }
        EventBody::StepRecorded(step) => {
            let detail = step
                .detail
                .as_ref()
                .map(serde_json::to_string)
                .transpose()?;
            conn.execute(
                "INSERT INTO handling_steps (id, matter_id, kind, at, actor, unit, note, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    step.step_id.to_string(),
                    step.matter_id.to_string(),
                    step.kind.code(),
                    at,
                    event.actor,
                    step.unit,
                    step.note,
                    detail
                ],
            )?;
            let matter_id = step.matter_id.to_string();
            if let Some(status) = step.kind.resulting_status() {
                conn.execute(
                    "UPDATE matters SET status = ?2, updated_at = ?3 WHERE id = ?1",
                    params![matter_id, status.code(), at],
                )?;
            }
            // Forwarding or assigning hands the matter to a unit, which then handles it.
            if matches!(step.kind, StepKind::Forward | StepKind::Assign) {
                conn.execute(
                    "UPDATE matters SET current_unit = ?2 WHERE id = ?1",
                    params![matter_id, step.unit],
                )?;
            }
            if let Some(handler) = step.detail.as_ref().and_then(|d| d.handler_id) {
                conn.execute(
                    "UPDATE matters SET handler_id = ?2 WHERE id = ?1",
                    params![matter_id, handler.to_string()],
                )?;
            }
        }
        EventBody::AttachmentAdded(file) => {
            conn.execute(
                "INSERT INTO attachments (id, matter_id, file_name, media_type, size, sha256,
                   added_at, added_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    file.attachment_id.to_string(),
                    file.matter_id.to_string(),
                    file.file_name,
                    file.media_type,
                    file.size as i64,
                    file.sha256,
                    at,
                    event.actor
                ],
            )?;
        }
        EventBody::ClockStarted(clock) => {
            let due = &clock.due;
            conn.prepare_cached(
                "INSERT INTO matter_clocks (id, matter_id, kind, holder, start_date, due_date,
                   unit, length, rollover, rolled_from, calendar_version, rule_ref, warnings,
                   status, started_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 'open', ?14)",
            )?
            .execute(params![
                clock.clock_id.to_string(),
                clock.matter_id.to_string(),
                clock.kind.code(),
                clock.holder,
                due.start.to_string(),
                due.due.to_string(),
                enum_code(&due.unit)?,
                due.length,
                enum_code(&due.rollover)?,
                due.rolled_from.map(|d| d.to_string()),
                due.calendar_version,
                due.rule_ref,
                serde_json::to_string(&due.warnings)?,
                at,
            ])?;
        }
        EventBody::ClockEnded {
            clock_id,
            status,
            ended_on,
            ..
        } => {
            conn.prepare_cached(
                "UPDATE matter_clocks SET status = ?2, ended_on = ?3 WHERE id = ?1",
            )?
            .execute(params![
                clock_id.to_string(),
                status.code(),
                ended_on.to_string()
            ])?;
        }
        EventBody::FollowupRecorded(f) => {
            conn.execute(
                "INSERT INTO followups (id, matter_id, followed_on, by_name, method, result,
                   acceptance_rating, handling_rating, query_code, note, recorded_at, recorded_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                params![
                    f.followup_id.to_string(),
                    f.matter_id.to_string(),
                    f.followed_on.to_string(),
                    f.by_name,
                    f.method,
                    f.result,
                    f.acceptance_rating.map(|r| r.code()),
                    f.handling_rating.map(|r| r.code()),
                    f.query_code,
                    f.note,
                    at,
                    event.actor
                ],
            )?;
        }
        EventBody::CalendarYearImported(year) => {
            conn.execute(
                "INSERT INTO calendar_years (year, version, body, imported_at, imported_by)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (year) DO UPDATE SET version = excluded.version,
                   body = excluded.body, imported_at = excluded.imported_at,
                   imported_by = excluded.imported_by",
                params![
                    year.year,
                    year.version,
                    serde_json::to_string(year)?,
                    at,
                    event.actor
                ],
            )?;
        }
        EventBody::LetterIssued(l) => {
            conn.execute(
                "INSERT INTO letters (id, matter_id, kind, step_id, sha256, content_hash,
                   template_version, pages, issued_at, issued_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    l.letter_id.to_string(),
                    l.matter_id.to_string(),
                    l.kind,
                    l.step_id.map(|s| s.to_string()),
                    l.sha256,
                    l.content_hash,
                    l.template_version,
                    l.pages,
                    at,
                    event.actor
                ],
            )?;
        }
        EventBody::LetterPrinted {
            print_id,
            letter_id,
            printer,
            copies,
            reprint,
            ..
        } => {
            conn.execute(
                "INSERT INTO letter_prints (id, letter_id, at, actor, printer, copies, reprint)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    print_id.to_string(),
                    letter_id.to_string(),
                    at,
                    event.actor,
                    printer,
                    copies,
                    reprint
                ],
            )?;
        }
        EventBody::HallQueueSet(q) => {
            conn.execute(
                "INSERT INTO hall_queues (code, name, prefix, service_minutes, active, position)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, prefix = excluded.prefix,
                   service_minutes = excluded.service_minutes, active = excluded.active,
                   position = excluded.position",
                params![
                    q.code,
                    q.name,
                    q.prefix,
                    q.service_minutes,
                    q.active,
                    q.position
                ],
            )?;
        }
        EventBody::HallRoomSet(r) => {
            conn.execute(
                "INSERT INTO hall_rooms (id, name, queues, state) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, queues = excluded.queues,
                   state = excluded.state",
                params![
                    r.room_id.to_string(),
                    r.name,
                    serde_json::to_string(&r.queues)?,
                    r.state
                ],
            )?;
        }
        EventBody::TicketIssued(t) => {
            conn.execute(
                "INSERT INTO hall_tickets (id, day, queue, issued_queue, seq, number, priority,
                   priority_rank, order_key, status, visit_id, person_id, display_name, visitors,
                   reason, appointment, issued_at, calls, no_shows, transfers)
                 VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6, ?7, ?8, 'waiting', ?9, ?10, ?11, ?12, ?13,
                   ?14, ?15, 0, 0, 0)",
                params![
                    t.ticket_id.to_string(),
                    t.day.to_string(),
                    t.queue,
                    t.seq,
                    t.number,
                    t.priority,
                    t.priority_rank,
                    t.order_key,
                    t.visit_id.map(|v| v.to_string()),
                    t.person_id.map(|v| v.to_string()),
                    t.display_name,
                    t.visitors,
                    t.reason,
                    t.appointment,
                    at
                ],
            )?;
        }
        EventBody::TicketMoved(m) => {
            let id = m.ticket_id.to_string();
            conn.execute(
                "UPDATE hall_tickets SET status = ?2, room_id = coalesce(?3, room_id),
                   queue = coalesce(?4, queue), order_key = coalesce(?5, order_key)
                 WHERE id = ?1",
                params![
                    id,
                    m.status,
                    m.room_id.map(|r| r.to_string()),
                    m.queue,
                    m.order_key
                ],
            )?;
            let stamp = match m.what.as_str() {
                // `first_called_at` keeps the first call for the wait statistics; `called_at`
                // follows the latest call for the board.
                "call" | "recall" => Some(
                    "UPDATE hall_tickets SET called_at = ?2, calls = calls + 1,
                       first_called_at = coalesce(first_called_at, ?2) WHERE id = ?1",
                ),
                "no_show" => Some(
                    "UPDATE hall_tickets SET no_shows = no_shows + 1, room_id = NULL,
                       called_at = coalesce(called_at, ?2) WHERE id = ?1",
                ),
                "transfer" => Some(
                    "UPDATE hall_tickets SET transfers = transfers + 1, room_id = NULL,
                       called_at = coalesce(called_at, ?2) WHERE id = ?1",
                ),
                "start" => Some(
                    "UPDATE hall_tickets SET started_at = coalesce(started_at, ?2) WHERE id = ?1",
                ),
                "finish" => Some("UPDATE hall_tickets SET finished_at = ?2 WHERE id = ?1"),
                _ => None,
            };
            if let Some(sql) = stamp {
                conn.execute(sql, params![id, at])?;
            }
            if let Some(interviewer) = m.interviewer {
                conn.execute(
                    "UPDATE hall_tickets SET interviewer = coalesce(interviewer, ?2) WHERE id = ?1",
                    params![id, interviewer.to_string()],
                )?;
            }
        }
        EventBody::InterviewRecorded(i) => {
            conn.execute(
                "INSERT INTO hall_interviews (id, ticket_id, matter_id, room_id, interviewer,
                   started_at, ended_at, request, facts, summary, behaviour, behaviour_note,
                   present, disposition, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                params![
                    i.interview_id.to_string(),
                    i.ticket_id.map(|t| t.to_string()),
                    i.matter_id.map(|m| m.to_string()),
                    i.room_id.map(|r| r.to_string()),
                    event.actor,
                    fmt_utc(i.started_at),
                    fmt_utc(i.ended_at),
                    i.request,
                    i.facts,
                    i.summary,
                    i.behaviour,
                    i.behaviour_note,
                    serde_json::to_string(&i.present)?,
                    i.disposition,
                    at
                ],
            )?;
            if let (Some(ticket), Some(matter)) = (i.ticket_id, i.matter_id) {
                conn.execute(
                    "UPDATE hall_tickets SET matter_id = ?2 WHERE id = ?1",
                    params![ticket.to_string(), matter.to_string()],
                )?;
            }
        }
        EventBody::RiskRegistered(r) => {
            conn.execute(
                "INSERT INTO risks (id, level, title, description, region_code, owner, plan,
                   deadline, major, matter_id, status, created_at, created_by, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'open', ?11, ?12, ?11)",
                params![
                    r.risk_id.to_string(),
                    r.level.code(),
                    r.title,
                    r.description,
                    r.region_code,
                    r.owner,
                    r.plan,
                    r.deadline.to_string(),
                    r.major,
                    r.matter_id.map(|m| m.to_string()),
                    at,
                    event.actor
                ],
            )?;
        }
        EventBody::RiskProgressed(p) => {
            let id = p.risk_id.to_string();
            conn.execute(
                "INSERT INTO risk_progress (id, risk_id, at, actor, note) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![p.progress_id.to_string(), id, at, event.actor, p.note],
            )?;
            conn.execute(
                "UPDATE risks SET owner = coalesce(?2, owner), plan = coalesce(?3, plan),
                   deadline = coalesce(?4, deadline), updated_at = ?5 WHERE id = ?1",
                params![id, p.owner, p.plan, p.deadline.map(|d| d.to_string()), at],
            )?;
        }
        EventBody::RiskClosed {
            risk_id,
            closed_on,
            result,
        } => {
            conn.execute(
                "UPDATE risks SET status = 'closed', closed_on = ?2, result = ?3, updated_at = ?4
                 WHERE id = ?1",
                params![risk_id.to_string(), closed_on.to_string(), result, at],
            )?;
        }
        EventBody::CountyDirective(d) => {
            conn.execute(
                "INSERT INTO county_directives (id, matter_id, kind, reference, from_unit, due_on,
                   message, issued_at, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    d.directive_id.to_string(),
                    d.matter_id.to_string(),
                    d.kind,
                    d.reference,
                    d.from_unit,
                    d.due_on.map(|d| d.to_string()),
                    d.message,
                    fmt_utc(d.issued_at),
                    at
                ],
            )?;
        }
        EventBody::MatterFieldCorrected {
            matter_id,
            field,
            value,
            ..
        } => {
            // The column name comes from this match, never from the payload.
            let sql = match field.as_str() {
                "content_category" => {
                    "UPDATE matters SET content_category = ?2, updated_at = ?3 WHERE id = ?1"
                }
                "region_code" => {
                    "UPDATE matters SET region_code = ?2, updated_at = ?3 WHERE id = ?1"
                }
                "involved_units" => {
                    "UPDATE matters SET involved_units = ?2, updated_at = ?3 WHERE id = ?1"
                }
                other => {
                    return Err(Error::Internal(format!(
                        "matter.field_corrected names no correctable field: {other}"
                    )));
                }
            };
            conn.prepare_cached(sql)?
                .execute(params![matter_id.to_string(), value, at])?;
            if index_search && field == "involved_units" {
                search::index_matter(conn, &matter_id.to_string())?;
            }
        }
        EventBody::MatterConflictRecorded(c) => {
            conn.execute(
                "INSERT INTO matter_conflicts (id, matter_id, field, local_value, county_value,
                   county_was, directive_id, opened_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    c.conflict_id.to_string(),
                    c.matter_id.to_string(),
                    c.field,
                    c.local_value,
                    c.county_value,
                    c.county_was,
                    c.directive_id.to_string(),
                    at
                ],
            )?;
        }
        EventBody::MatterConflictResolved {
            conflict_id,
            keep,
            value,
            ..
        } => {
            conn.execute(
                "UPDATE matter_conflicts SET resolved_at = ?2, resolved_by = ?3, keep = ?4,
                   resolved_value = ?5 WHERE id = ?1",
                params![conflict_id.to_string(), at, event.actor, keep, value],
            )?;
        }
        EventBody::CalendarOverlaySet { days } => {
            conn.execute("DELETE FROM calendar_overlay", [])?;
            for day in days {
                conn.execute(
                    "INSERT INTO calendar_overlay (date, kind, name) VALUES (?1, ?2, ?3)",
                    params![day.date.to_string(), enum_code(&day.kind)?, day.name],
                )?;
            }
        }
        EventBody::OwnershipSet(o) => {
            conn.execute(
                "INSERT INTO matter_ownership (matter_id, leader, team, plan, deadline, scope,
                   set_at, set_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (matter_id) DO UPDATE SET leader = excluded.leader,
                   team = excluded.team, plan = excluded.plan, deadline = excluded.deadline,
                   scope = excluded.scope, set_at = excluded.set_at, set_by = excluded.set_by",
                params![
                    o.matter_id.to_string(),
                    o.leader,
                    o.team,
                    o.plan,
                    o.deadline.to_string(),
                    o.scope,
                    at,
                    event.actor
                ],
            )?;
        }
        // The anchor is read from the log itself (`audit::check_anchor`); nothing to project.
        EventBody::AuditAnchored { .. } => {}
    }
    Ok(())
}

/// The serde code of a unit enum (`calendar`, `next_working_day`), as stored.
fn enum_code<T: serde::Serialize>(value: &T) -> Result<String> {
    match serde_json::to_value(value)? {
        serde_json::Value::String(code) => Ok(code),
        other => Err(Error::Internal(format!("not a unit enum: {other}"))),
    }
}

fn person_params(person: &PersonRecord, at: &str) -> Vec<Value> {
    let text = |v: &Option<String>| v.clone().map_or(Value::Null, Value::Text);
    vec![
        Value::Text(person.person_id.to_string()),
        Value::Text(person.name.clone()),
        Value::Text(person.id_type.code().to_owned()),
        text(&person.id_number),
        text(&person.sex),
        text(&person.birth_date),
        text(&person.ethnicity),
        text(&person.phone),
        text(&person.household_address),
        text(&person.current_address),
        text(&person.workplace),
        Value::Text(at.to_owned()),
    ]
}

fn insert_matter(conn: &Connection, event: &Event, matter: &MatterRecord, at: &str) -> Result<()> {
    let id = matter.matter_id.to_string();
    let primary = matter
        .petitioners
        .iter()
        .find(|p| p.is_primary)
        .map(|p| p.person_id.to_string());
    conn.prepare_cached(
        "INSERT INTO matters (id, number, channel, purpose, matter_class, route, content_category,
           region_code, involved_units, request, facts_reasons, summary, received_at,
           received_date, registered_at, is_repeat, is_first_petition, litigation, anonymous,
           notice_exempt, notice_exempt_reason, is_joint, visit_id, status, registering_unit,
           registered_by, primary_person_id, petitioner_names, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, 0, ?16, ?17,
           ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, '', ?15)",
    )?
    .execute(params![
        id,
        matter.number,
        matter.channel,
        matter.purpose,
        matter.matter_class,
        matter.route,
        matter.content_category,
        matter.region_code,
        matter.involved_units,
        matter.request,
        matter.facts_reasons,
        matter.summary,
        fmt_utc(matter.received_at),
        china_date(matter.received_at).to_string(),
        at,
        matter.is_first_petition,
        matter.litigation,
        matter.anonymous,
        matter.notice_exempt_reason.is_some(),
        matter.notice_exempt_reason,
        matter.is_joint,
        matter.visit_id.map(|v| v.to_string()),
        MatterStatus::Registered.code(),
        matter.registering_unit,
        event.actor,
        primary,
    ])?;
    let rid = conn.last_insert_rowid();
    conn.prepare_cached(
        "INSERT INTO matter_days (received_date, first_rid, last_rid, matters)
         VALUES (?1, ?2, ?2, 1)
         ON CONFLICT (received_date) DO UPDATE SET first_rid = min(first_rid, excluded.first_rid),
           last_rid = max(last_rid, excluded.last_rid), matters = matters + 1",
    )?
    .execute(params![china_date(matter.received_at).to_string(), rid])?;
    let mut insert_person = conn.prepare_cached(
        "INSERT INTO matter_persons (matter_id, person_id, is_primary, position)
         VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (position, person) in matter.petitioners.iter().enumerate() {
        insert_person.execute(params![
            id,
            person.person_id.to_string(),
            person.is_primary,
            position as i64
        ])?;
    }
    refresh_petitioner_names(conn, &id)?;
    bump_counter(conn, &matter.number)?;
    Ok(())
}

/// Keeps `case_counters` at the highest number seen, so replay and live writes agree and a
/// number is never handed out twice.
fn bump_counter(conn: &Connection, number: &str) -> Result<()> {
    let Some((centre, year, seq)) = crate::register::parse_case_number(number) else {
        return Err(Error::Internal(format!("malformed case number {number}")));
    };
    conn.prepare_cached(
        "INSERT INTO case_counters (centre_code, year, last) VALUES (?1, ?2, ?3)
         ON CONFLICT (centre_code, year) DO UPDATE SET last = max(last, excluded.last)",
    )?
    .execute(params![centre, year, seq])?;
    Ok(())
}

fn refresh_petitioner_names(conn: &Connection, matter_id: &str) -> Result<()> {
    let names: Option<String> = conn
        .prepare_cached(
            "SELECT group_concat(name, '、') FROM (SELECT p.name FROM matter_persons mp
               JOIN persons p ON p.id = mp.person_id WHERE mp.matter_id = ?1
               ORDER BY mp.position)",
        )?
        .query_row([matter_id], |r| r.get(0))
        .optional()?
        .flatten();
    conn.prepare_cached("UPDATE matters SET petitioner_names = ?2 WHERE id = ?1")?
        .execute(params![matter_id, names.unwrap_or_default()])?;
    Ok(())
}

/// Keeps `password_hash` as the newest of the user's last `auth::PASSWORD_HISTORY` passwords.
fn remember_password(
    conn: &Connection,
    event: &Event,
    user_id: &uuid::Uuid,
    password_hash: &str,
    at: &str,
) -> Result<()> {
    let user_id = user_id.to_string();
    conn.prepare_cached(
        "INSERT INTO user_passwords (user_id, seq, password_hash, set_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![user_id, event.seq, password_hash, at])?;
    conn.prepare_cached(
        "DELETE FROM user_passwords WHERE user_id = ?1 AND seq NOT IN
           (SELECT seq FROM user_passwords WHERE user_id = ?1 ORDER BY seq DESC LIMIT ?2)",
    )?
    .execute(params![user_id, crate::auth::PASSWORD_HISTORY as i64])?;
    Ok(())
}
