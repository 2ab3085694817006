//! The real `xinfang-hub` binary: its admin CLI on a fresh data directory, and `serve` on a
//! loopback port, spoken to over raw HTTP like a centre's sync client would.

mod compressed;
mod crash;
mod enrol;
mod lookup;
mod pull;
mod push;
mod security;
mod status;
mod support;
mod tls;
