//! Where the hub's time and ids come from, and how it writes and shows instants.
//!
//! As in the desk, only this module reads the wall clock or makes UUIDv7s (`clippy.toml`
//! forbids `Utc::now` and `Uuid::now_v7` elsewhere), so store and rule tests can move time on
//! by hand: an enrolment code's 72 hours pass in a unit test, not in a day.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, FixedOffset, Utc};
use uuid::Uuid;

/// Source of the current time and of fresh ids.
pub trait Clock: Send {
    /// Now, in UTC.
    fn now(&self) -> DateTime<Utc>;
    /// A new UUIDv7.
    fn next_id(&mut self) -> Uuid;
}

/// The wall clock and the system's UUIDv7 generator.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // This is the clock.
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    #[allow(clippy::disallowed_methods)] // This is the id source.
    fn next_id(&mut self) -> Uuid {
        Uuid::now_v7()
    }
}

/// A clock that moves only when told (shared by its clones); ids count up from its time.
#[derive(Debug, Clone)]
pub struct FixedClock {
    at: Arc<Mutex<DateTime<Utc>>>,
    counter: u64,
}

impl FixedClock {
    /// A clock standing at `at`.
    pub fn new(at: DateTime<Utc>) -> FixedClock {
        FixedClock {
            at: Arc::new(Mutex::new(at)),
            counter: 0,
        }
    }

    /// Moves the clock (and every clone) on by `by`.
    pub fn advance(&self, by: chrono::Duration) {
        let mut at = self.at.lock().unwrap_or_else(|p| p.into_inner());
        *at += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.at.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn next_id(&mut self) -> Uuid {
        self.counter += 1;
        let millis = u64::try_from(self.now().timestamp_millis()).unwrap_or(0);
        let mut random = [0u8; 10];
        random[2..].copy_from_slice(&self.counter.to_be_bytes());
        uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid()
    }
}

/// The storage form of an instant: RFC 3339, UTC, milliseconds (`2026-11-28T07:30:00.000Z`).
/// Fixed width, so stored instants compare as text.
pub fn fmt_utc(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Parses a stored instant.
pub fn parse_utc(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// China Standard Time, in which people at the county read times.
pub fn china_offset() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("+08:00 is a valid offset")
}

/// A stored instant as a person in China reads it (`2026-11-28 15:30`); unparseable text is
/// shown as it is rather than hidden.
pub fn display(stored: &str) -> String {
    match parse_utc(stored) {
        Some(at) => at
            .with_timezone(&china_offset())
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        None => stored.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_clock_ids_increase_and_times_show_in_china_time() {
        let mut clock = FixedClock::new(parse_utc("2026-11-28T07:30:00.000Z").expect("instant"));
        let a = clock.next_id();
        let b = clock.next_id();
        assert!(a < b);
        assert_eq!(a.get_version_num(), 7);
        clock.advance(chrono::Duration::hours(72));
        assert_eq!(fmt_utc(clock.now()), "2026-12-01T07:30:00.000Z");
        assert_eq!(display("2026-12-01T07:30:00.000Z"), "2026-12-01 15:30");
        assert_eq!(display("garbage"), "garbage");
    }
}
