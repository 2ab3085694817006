//! Where time and ids come from. The core never calls `Utc::now()` or `Uuid::now_v7()` itself:
//! a `Clock` and an `IdGen` are handed in, so tests and the demo generator are deterministic.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use uuid::Uuid;

/// Source of the current time.
pub trait Clock: Send {
    /// Now, in UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// Source of fresh UUIDv7 ids.
pub trait IdGen: Send {
    /// A new id; later calls give larger ids from the same generator.
    fn next_id(&mut self) -> Uuid;
}

/// The wall clock; the one place allowed to read it.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // This is the clock.
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Real UUIDv7 ids from the system's time and randomness.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemIds;

impl IdGen for SystemIds {
    #[allow(clippy::disallowed_methods)] // This is the id source.
    fn next_id(&mut self) -> Uuid {
        Uuid::now_v7()
    }
}

/// A clock that only moves when told to; for tests and the demo generator.
#[derive(Debug, Clone)]
pub struct FixedClock(std::sync::Arc<std::sync::Mutex<DateTime<Utc>>>);

impl FixedClock {
    /// A clock standing at `at`.
    pub fn new(at: DateTime<Utc>) -> FixedClock {
        FixedClock(std::sync::Arc::new(std::sync::Mutex::new(at)))
    }

    /// Moves the clock to `at` (shared by every clone).
    pub fn set(&self, at: DateTime<Utc>) {
        *self
            .0
            .lock()
            .expect("clock mutex is never poisoned: set/now do not panic") = at;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self
            .0
            .lock()
            .expect("clock mutex is never poisoned: set/now do not panic")
    }
}

/// Deterministic UUIDv7-shaped ids from a seed: the timestamp field comes from `clock`-like
/// milliseconds passed in, the random field from a counter, so replays produce the same ids.
#[derive(Debug, Clone)]
pub struct SeededIds {
    state: u64,
    millis: u64,
}

impl SeededIds {
    /// Ids starting at `millis` (Unix ms) with randomness derived from `seed`.
    pub fn new(seed: u64, millis: u64) -> SeededIds {
        SeededIds {
            state: seed ^ 0x9E37_79B9_7F4A_7C15,
            millis,
        }
    }
}

impl IdGen for SeededIds {
    fn next_id(&mut self) -> Uuid {
        // Advance one millisecond per id so ids stay strictly increasing.
        self.millis += 1;
        self.state = splitmix64(self.state);
        let mut random = [0u8; 10];
        random[..8].copy_from_slice(&self.state.to_be_bytes());
        random[8..].copy_from_slice(&self.state.rotate_left(17).to_be_bytes()[..2]);
        uuid::Builder::from_unix_timestamp_millis(self.millis, &random).into_uuid()
    }
}

/// SplitMix64: a tiny, well-mixed PRNG step used for seeded ids and demo data.
pub fn splitmix64(state: u64) -> u64 {
    let mut z = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// China Standard Time; the register stores UTC and shows this.
pub fn china_offset() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("+08:00 is a valid offset")
}

/// The calendar date in China of an instant.
pub fn china_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&china_offset()).date_naive()
}

/// The storage form of an instant: RFC 3339, UTC, milliseconds (`2026-11-28T07:30:00.000Z`).
pub fn fmt_utc(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
