//! The workspace integration-test binary: the register on real SQLite files, driven through
//! the one operation list, plus repository tidiness checks.

mod audit;
mod auth;
mod county;
mod hall;
mod letters;
mod migrations;
mod rebuild;
mod register;
mod report;
mod search;
mod sync;
mod tidy;
mod workflow;
