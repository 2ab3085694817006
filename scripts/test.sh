#!/usr/bin/env bash
# Runs every test of Xinfang Desk from a clean clone: formatting and lints, the Rust tests
# (core, CLI, HTTP server; the county hub's a second time on a throwaway PostgreSQL), the UI
# unit tests and the Playwright tests in Debian's Chromium against the real server, and the
# real desktop window driven through WebDriver under Xvfb.
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

step "county hub tests again on PostgreSQL (a throwaway cluster)"
# The same hub suite, every test on a fresh database of a real server; the cluster lives in a
# temporary directory and goes when this script ends, however it ends.
pg_dir="$(mktemp -d)"
trap 'bash "$root/scripts/postgres.sh" stop "$pg_dir"' EXIT
# A plain assignment, so a cluster that does not start stops the run here (set -e) instead of
# leaving the variable empty and the suite quietly on SQLite.
# The cluster takes TLS on a loopback port (a test authority signs its certificate), so every
# hub test also runs over the hub's verified TLS to PostgreSQL.
pg_url="$(bash scripts/postgres.sh start "$pg_dir" --tls)"
[ -n "$pg_url" ]
XINFANG_HUB_TEST_POSTGRES="$pg_url" cargo test -p xinfang-hub

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
  step "desktop shell: clippy, its tests, and the real window under Xvfb"
  cargo clippy -p xinfang-desk --all-targets -- -D warnings
  # The shell's own tests: host addresses, and pairing with its LAN server over real TLS.
  cargo test -p xinfang-desk --lib
  bash tests/desktop/run.sh
fi

printf '\nall test suites passed\n'
