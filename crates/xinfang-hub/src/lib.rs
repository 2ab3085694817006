//! The county hub (县级信访同步枢纽): stores every enrolled centre's events, gives them its own
//! arrival order, routes county events (交办 / 转送 / 督办 / 催办, reference data) to centres,
//! and serves push and pull over HTTP.
//!
//! - `hub`: the rules, once, over any store (the part a PostgreSQL store will reuse as is).
//! - `store`: the `Store`/`Tx` traits and `store::sqlite`, the embedded default.
//! - `http`: the axum adapter and `page`, the status page; `cli`: the admin commands.
//! - `bundle`: signed USB bundles, imported with the push rules and written back for a centre.
//! - `secret`: enrolment codes, credentials and the signing key; `clock`: time and ids.
//!
//! Architecture invariant: the hub does not need the desk's rules to be correct. It knows
//! events only as `xinfang_sync::WireEvent` and never depends on `xinfang-core`.

#![warn(missing_docs)]

pub mod bundle;
pub mod cli;
pub mod clock;
pub mod error;
pub mod http;
pub mod hub;
pub mod page;
pub mod secret;
pub mod store;

pub use error::{Error, Result};
pub use hub::Hub;
