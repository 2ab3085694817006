#!/usr/bin/env bash
# Builds and starts Xinfang Desk with an embedded default data directory. With a display it
# opens the desktop window; without one it serves the whole product to a browser at
# http://127.0.0.1:8686 (the first start creates the register and prints the administrator's
# initial password). Extra arguments go to `xinfang serve` in browser mode.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

if [ -f ui/package.json ]; then
  (cd ui && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm run -s build)
fi

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -f src-tauri/tauri.conf.json ] && [ -z "${XINFANG_BROWSER_MODE:-}" ]; then
  cargo build --release -p xinfang-desk
  exec "${CARGO_TARGET_DIR:-target}/release/xinfang-desk"
fi

cargo build --release -p xinfang-server
echo "用浏览器打开下面 listening on 一行的地址（默认 http://127.0.0.1:8686；局域网访问请加 --listen 0.0.0.0:8686 --tls，并在各工作站用 xinfang pair 的配对码配对）"
exec "${CARGO_TARGET_DIR:-target}/release/xinfang" serve --init-if-empty --ui ui/dist "$@"
