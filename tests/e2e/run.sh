#!/usr/bin/env bash
# Builds and unit-tests the UI, then runs the Playwright flows against a real `xinfang serve`.
#
# Expects target/debug/xinfang to be built by the caller (`cargo build -p xinfang-server`); set
# XINFANG_BIN to use another binary. Installs npm dependencies only when node_modules is missing
# or older than the lock file. Exits non-zero on any failure and ends with one summary line.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
ui="$root/ui"
# No browser download, ever: the tests use Debian's /usr/bin/chromium.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

unit_summary="not run"
e2e_summary="not run"
unit_passed=0
unit_failed=0
e2e_passed=0
e2e_failed=0

finish() {
  local status=$1 what=$2
  echo
  echo "ui unit tests: $unit_summary"
  echo "ui e2e tests: $e2e_summary"
  if [ "$status" -eq 0 ]; then
    echo "UI CHECKS PASSED: $what"
  else
    echo "UI CHECKS FAILED: $what"
  fi
  # The plain closing line CI readers understand; a failure before any test ran counts as one.
  local failed=$((unit_failed + e2e_failed))
  if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
  echo "ui: $((unit_passed + e2e_passed)) passed, $failed failed"
  exit "$status"
}

# npm ci when node_modules is absent or the lock changed since the last install.
ensure_deps() {
  local dir=$1
  local marker="$dir/node_modules/.package-lock.json"
  if [ ! -d "$dir/node_modules" ] || [ ! -f "$marker" ] || [ "$dir/package-lock.json" -nt "$marker" ]; then
    echo "== npm ci in ${dir#"$root"/}"
    (cd "$dir" && npm ci --no-audit --no-fund) || return 1
  fi
}

bin="${XINFANG_BIN:-$root/target/debug/xinfang}"
[ -x "$bin" ] || finish 1 "$bin is missing; run \`cargo build -p xinfang-server\` first"
[ -x /usr/bin/chromium ] || [ -n "${CHROMIUM_PATH:-}" ] || finish 1 "/usr/bin/chromium is missing (apt-get install chromium)"

ensure_deps "$ui" || finish 1 "npm ci failed in ui/"
ensure_deps "$here" || finish 1 "npm ci failed in tests/e2e/"

echo "== ui: npm run build"
(cd "$ui" && npm run build) || finish 1 "ui build (vue-tsc + vite) failed"

echo "== ui: npm test"
unit_log="$(mktemp)"
(cd "$ui" && npm test 2>&1) | tee "$unit_log"
unit_status=${PIPESTATUS[0]}
# Vitest prints "Tests  64 passed (64)" or "Tests  1 failed | 63 passed (64)".
unit_line="$(sed 's/\x1b\[[0-9;]*m//g' "$unit_log" | grep -E '^\s*Tests\s' | tail -1 | sed -E 's/^\s*Tests\s+//')"
rm -f "$unit_log"
unit_summary="${unit_line:-no summary (exit $unit_status)}"
unit_passed="$(grep -oE '[0-9]+ passed' <<<"$unit_line" | grep -oE '[0-9]+' || echo 0)"
unit_failed="$(grep -oE '[0-9]+ failed' <<<"$unit_line" | grep -oE '[0-9]+' || echo 0)"
[ "$unit_status" -eq 0 ] || finish 1 "ui unit tests failed"

echo "== e2e: playwright"
e2e_log="$(mktemp)"
(cd "$here" && npx playwright test 2>&1) | tee "$e2e_log"
e2e_status=${PIPESTATUS[0]}
clean="$(sed 's/\x1b\[[0-9;]*m//g' "$e2e_log")"
rm -f "$e2e_log"
passed="$(grep -oE '^\s*[0-9]+ passed' <<<"$clean" | grep -oE '[0-9]+' | tail -1)"
failed="$(grep -oE '^\s*[0-9]+ failed' <<<"$clean" | grep -oE '[0-9]+' | tail -1)"
e2e_passed="${passed:-0}"
e2e_failed="${failed:-0}"
e2e_summary="$e2e_passed passed, $e2e_failed failed"
[ "$e2e_status" -eq 0 ] || finish 1 "playwright flows failed (screenshots and traces in tests/e2e/output/)"
[ "${passed:-0}" -gt 0 ] || finish 1 "playwright ran no test"

finish 0 "build, unit tests and browser flows (screenshots in tests/e2e/output/)"
