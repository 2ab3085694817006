#!/usr/bin/env bash
# Builds the installable Debian package of the desktop app (target/release/bundle/deb/*.deb).
# The Tauri CLI comes from npm (a prebuilt binary inside the package: seconds, not the
# seven minutes `cargo install tauri-cli` takes on two cores). AppImage is not offered: its
# bundler downloads tools from GitHub at bundle time, which an offline build cannot do.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
(cd ui && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm run -s build)
npx --yes @tauri-apps/cli@2 build --bundles deb
ls -l target/release/bundle/deb/*.deb
