//! The real `xinfang` binary: its CLI on real register files, and its HTTP server on loopback.

mod backup;
mod bundle;
mod cli;
mod crash;
mod encryption;
mod hall;
mod http;
mod print;
mod support;
mod sync;
mod tls;
