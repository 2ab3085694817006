//! The change feed: after every operation that changed the register, desks, rooms and the hall
//! board hear "something changed" within milliseconds and fetch what they show again.
//!
//! The feed carries no data, only a counter and a topic, so it needs no sign-in (the board
//! has none) and leaks nothing: each listener re-reads through the operations it is allowed.
//! Browsers subscribe with server-sent events (`GET /api/v1/changes`); the desktop shell waits
//! with a long poll (`GET /api/v1/changes/wait?after=N`, or its own `changes_wait` command in
//! host mode), so both kinds of window follow the same counter.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

/// What listeners hear: the counter after the latest change and what it touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// Grows by one with every change. It starts at the host's start time in milliseconds, so
    /// a listener holding a value from before a restart sees a different one at once.
    pub seq: u64,
    /// `hall` for queues, rooms, tickets and interviews; `register` for everything else.
    pub topic: Topic,
}

/// Which screens a change concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    /// The walk-in hall: the board, the rooms and the guide desk re-read.
    Hall,
    /// Cases, persons, settings: lists re-read when they are open.
    Register,
}

impl Topic {
    /// The topic of a changing operation, from its name's family in `ops::OPERATIONS`.
    pub fn of(operation: &str) -> Topic {
        const HALL: &[&str] = &["ticket_", "hall_", "interview_"];
        if HALL.iter().any(|prefix| operation.starts_with(prefix)) {
            Topic::Hall
        } else {
            Topic::Register
        }
    }
}

/// The longest a long poll is held open; a listener simply asks again.
pub const MAX_WAIT: Duration = Duration::from_secs(25);

/// The sending side, shared by every adapter that runs operations on one register.
#[derive(Clone)]
pub struct Changes {
    tx: std::sync::Arc<watch::Sender<Change>>,
    // Set when the server shuts down: open streams and polls end, so a graceful shutdown is
    // not held up by a hall TV that never disconnects.
    closed: std::sync::Arc<watch::Sender<bool>>,
}

impl Default for Changes {
    fn default() -> Self {
        Changes::new()
    }
}

impl Changes {
    /// A feed whose counter starts at the current time in milliseconds.
    pub fn new() -> Changes {
        let start = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| u64::try_from(d.as_millis()).unwrap_or(1));
        let (tx, _) = watch::channel(Change {
            seq: start,
            topic: Topic::Register,
        });
        Changes {
            tx: std::sync::Arc::new(tx),
            closed: std::sync::Arc::new(watch::channel(false).0),
        }
    }

    /// Ends every stream and wait, for shutdown.
    pub fn close(&self) {
        self.closed.send_replace(true);
    }

    /// Resolves once `close` has been called.
    pub async fn closed(&self) {
        let mut rx = self.closed.subscribe();
        let _ = rx.wait_for(|closed| *closed).await;
    }

    /// Tells every listener that `operation` changed the register.
    pub fn notify(&self, operation: &str) {
        let topic = Topic::of(operation);
        self.tx.send_modify(|change| {
            change.seq += 1;
            change.topic = topic;
        });
    }

    /// The latest change.
    pub fn current(&self) -> Change {
        *self.tx.borrow()
    }

    /// A receiver for a stream of changes.
    pub fn subscribe(&self) -> watch::Receiver<Change> {
        self.tx.subscribe()
    }

    /// Waits until the counter differs from `after` or `timeout` passes; returns the latest.
    /// A different value (not only a greater one) ends the wait, so a host restart is noticed.
    pub async fn wait(&self, after: u64, timeout: Duration) -> Change {
        let mut rx = self.subscribe();
        tokio::select! {
            outcome = tokio::time::timeout(timeout, rx.wait_for(|c| c.seq != after)) => {
                match outcome {
                    Ok(Ok(change)) => *change,
                    _ => self.current(),
                }
            }
            () = self.closed() => self.current(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hall_operations_have_the_hall_topic() {
        assert_eq!(Topic::of("ticket_call_next"), Topic::Hall);
        assert_eq!(Topic::of("hall_room_state"), Topic::Hall);
        assert_eq!(Topic::of("interview_record"), Topic::Hall);
        assert_eq!(Topic::of("matter_register"), Topic::Register);
    }

    #[tokio::test]
    async fn a_wait_ends_at_the_next_change_and_not_before() {
        let changes = Changes::new();
        let start = changes.current().seq;
        // Nothing changed: the wait runs out and reports the same counter.
        let same = changes.wait(start, Duration::from_millis(30)).await;
        assert_eq!(same.seq, start);
        let waiter = {
            let changes = changes.clone();
            tokio::spawn(async move { changes.wait(start, Duration::from_secs(5)).await })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        changes.notify("ticket_issue");
        let heard = waiter.await.expect("waiter");
        assert_eq!(heard.seq, start + 1);
        assert_eq!(heard.topic, Topic::Hall);
        // A counter from elsewhere (a host that restarted) ends the wait at once.
        let stale = changes.wait(7, Duration::from_secs(5)).await;
        assert_eq!(stale.seq, start + 1);
    }
}
