//! Xinfang Desk core: the rules of 信访 work, the SQLite register with its append-only event
//! log, and the one operation surface that the CLI, the HTTP server and the desktop shell share.
//!
//! Reading order: `model` (vocabularies) → `domain` (pure rules) → `events` (what is recorded)
//! → `projection` (how records become tables) → `register` (the write path) → `api` (the
//! operations) → `ops` (the list every adapter dispatches through). `verify` and `demo` are
//! tools built on top.
//!
//! Architecture invariant: nothing here does network IO or reads the clock or a random source
//! directly; `clock::Clock` and `clock::IdGen` are handed in. The one exception is
//! `keys::Key::random`: an encryption key must come from the operating system.

#![warn(missing_docs)]

pub mod api;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod clock;
pub mod county;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod events;
pub mod keys;
pub mod lookup;
pub mod model;
pub mod ops;
pub mod projection;
pub mod register;
pub mod schema;
pub mod search;
pub mod sync;
pub mod verify;

pub use error::{ApiError, Error, Result};
pub use register::Register;
