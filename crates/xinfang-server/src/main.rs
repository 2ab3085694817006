//! `xinfang`: the command-line entry point; everything lives in `xinfang_server::cli`.

use clap::Parser;

fn main() -> std::process::ExitCode {
    xinfang_server::cli::run(xinfang_server::cli::Cli::parse())
}
