//! The `xinfang` command line and the HTTP server. Both are adapters: they parse their wire
//! format and hand the operation name and JSON input to `xinfang_core::ops::call`.
//!
//! Architecture invariant: no business rule lives here; if an HTTP handler or CLI command
//! needs to decide something about a matter, the decision belongs in the core.

pub mod backup;
pub mod bench;
pub mod bench_hall;
pub mod bench_sync;
pub mod bundle;
pub mod changes;
pub mod cli;
pub mod data;
pub mod http;
pub mod lan;
pub mod sync;
