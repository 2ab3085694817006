#!/usr/bin/env bash
# Runs every test of Xinfang Desk from a clean clone: formatting and lints, the Rust tests
# (core, CLI, HTTP server), the UI unit tests and the Playwright tests in Debian's Chromium
# against the real server, and the real desktop window driven through WebDriver under Xvfb.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

bash scripts/setup.sh

step() { printf '\n== %s\n' "$*"; }

step "rustfmt"
cargo fmt --all --check

step "clippy (core, server, tests)"
cargo clippy --all-targets -- -D warnings

step "CUPS with the XinfangPDF virtual printer (for the print test)"
bash scripts/cups-pdf.sh

step "cargo test"
cargo test

step "API contracts are current"
cargo run -q -p xinfang-server -- schema --check

step "fuzzing (bounded run: ID numbers, operation inputs, sync wire types)"
FUZZ_SECONDS="${FUZZ_SECONDS:-20}" bash scripts/fuzz.sh

if [ -d ui ] && [ -f ui/package.json ]; then
  step "UI unit tests, build, and Playwright against the real server"
  # The sync flow runs a real county hub beside the server.
  cargo build -q -p xinfang-server -p xinfang-hub
  XINFANG_BIN="${CARGO_TARGET_DIR:-$root/target}/debug/xinfang" bash tests/e2e/run.sh
fi

if [ -f src-tauri/tauri.conf.json ]; then
  step "desktop shell: clippy and the real window under Xvfb"
  cargo clippy -p xinfang-desk --all-targets -- -D warnings
  bash tests/desktop/run.sh
fi

printf '\nall test suites passed\n'
