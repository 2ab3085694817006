//! `xinfang-hub`: the command-line entry point; everything lives in `xinfang_hub::cli`.

use clap::Parser;

fn main() -> std::process::ExitCode {
    xinfang_hub::cli::run(xinfang_hub::cli::Cli::parse())
}
