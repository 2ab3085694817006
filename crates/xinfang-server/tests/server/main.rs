//! The real `xinfang` binary: its CLI on real register files, and its HTTP server on loopback.

mod backup;
mod bundle;
mod cli;
mod converge;
mod converge_in_process;
mod crash;
mod encryption;
mod faults;
mod hall;
mod http;
mod lookup;
mod print;
mod support;
mod sync;
mod tls;
