#!/usr/bin/env bash
# `xinfang bench ui` equivalent for the window: builds release binaries, makes a 100k-case
# register, then measures the desktop window and browser mode in the same run (bench_ui.py).
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"
# Binaries live in the shared target directory when one is set.
target="${CARGO_TARGET_DIR:-$root/target}"
export PATH="$HOME/.cargo/bin:$PATH"
command -v tauri-driver >/dev/null || cargo install tauri-driver --locked --version '^2'
(cd ui && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm run -s build)
cargo build -q --release -p xinfang-desk -p xinfang-server

# BENCH_UI_KEEP=DIR keeps the generated register in DIR for the next run (generating it
# takes minutes); otherwise everything lives in a temporary directory removed at the end.
if [ -n "${BENCH_UI_KEEP:-}" ]; then
  work="$BENCH_UI_KEEP"
  keep=yes
else
  work="$(mktemp -d)"
  keep=""
fi
export XDG_DATA_HOME="$work/data" XDG_CONFIG_HOME="$work/config" XDG_CACHE_HOME="$work/cache" XINFANG_MODE=host
appdata="$XDG_DATA_HOME/cn.gov.xinfang.desk"
if [ ! -f "$work/generated" ]; then
  rm -rf "$work/data" "$work/config"
  "$target"/release/xinfang --data "$appdata" init --admin-password bench-admin-2026 >/dev/null
  echo "generating 100 000 matters…"
  "$target"/release/xinfang --data "$appdata" demo --cases 100000 >/dev/null
  touch "$work/generated"
fi

read -r tport nport cport sport < <(python3 -c 'import socket
ps = []
for _ in range(4):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); ps.append(s.getsockname()[1]); s.close()
print(*ps)')
setsid xvfb-run -a -s "-screen 0 1440x900x24" tauri-driver --port "$tport" --native-port "$nport" >/dev/null 2>&1 &
driver=$!
chromedriver --port="$cport" >/dev/null 2>&1 &
chrome=$!
server_log="$work/server.log"
"$target"/release/xinfang --data "$appdata" serve --listen "127.0.0.1:$sport" --ui ui/dist >"$server_log" 2>&1 &
server=$!
cleanup() {
  kill -TERM -- "-$driver" "$chrome" "$server" 2>/dev/null || true
  [ -n "$keep" ] || rm -rf "$work"
}
trap cleanup EXIT
sleep 3
python3 tests/desktop/bench_ui.py --tauri-port "$tport" --chrome-port "$cport" \
  --app "$target/release/xinfang-desk" --server-url "http://127.0.0.1:$sport/" --server-pid "$server"
