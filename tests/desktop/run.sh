#!/usr/bin/env bash
# The real desktop window: builds the Tauri shell, starts it under Xvfb through tauri-driver
# (Debian's WebKitWebDriver underneath), signs in and registers a matter by driving the real
# WebKitGTK webview, and leaves screenshots in tests/desktop/output/ for a person to look at.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"
# Binaries live in the shared target directory when one is set.
target="${CARGO_TARGET_DIR:-$root/target}"
out="$root/tests/desktop/output"
mkdir -p "$out"

if ! command -v tauri-driver >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
  echo "== installing tauri-driver"
  cargo install tauri-driver --locked --version '^2'
fi
export PATH="$HOME/.cargo/bin:$PATH"

[ -f ui/dist/index.html ] || (cd ui && npm run -s build)
cargo build -q -p xinfang-desk -p xinfang-server

# A fresh, isolated home for the app: its app-data and config directories live under it.
work="$(mktemp -d)"
export XDG_DATA_HOME="$work/data" XDG_CONFIG_HOME="$work/config" XDG_CACHE_HOME="$work/cache"
appdata="$XDG_DATA_HOME/cn.gov.xinfang.desk"
unset XINFANG_MODE XINFANG_HOST_URL

# Free ports for tauri-driver and the native WebKitWebDriver behind it.
read -r port native_port < <(python3 -c 'import socket
ports = []
for _ in range(2):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); ports.append(s.getsockname()[1]); s.close()
print(*ports)')
driver_log="$out/tauri-driver.log"
# Its own session and process group, so cleanup ends Xvfb, the drivers and the app together.
setsid xvfb-run -a -s "-screen 0 1440x900x24" \
  tauri-driver --port "$port" --native-port "$native_port" >"$driver_log" 2>&1 &
driver=$!
cleanup() {
  kill -TERM -- "-$driver" 2>/dev/null || true
  wait "$driver" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
python3 - "$port" <<'PY'
import json, sys, time, urllib.request
deadline = time.time() + 30
while True:
    try:
        status = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/status", timeout=2).read())
        if status.get("value", {}).get("ready"):
            break
    except Exception:
        pass
    if time.time() > deadline:
        sys.exit("tauri-driver did not become ready")
    time.sleep(0.5)
PY

# The app's own stderr goes to a log a failing run can be diagnosed from.
cat >"$work/app.sh" <<APP
#!/bin/sh
exec "$target/debug/xinfang-desk" "\$@" 2>>"$out/app.log"
APP
chmod +x "$work/app.sh"
: >"$out/app.log"

# First start: the window asks host or desk, creates the register and its administrator.
python3 tests/desktop/window_test.py --phase setup --port "$port" --app "$work/app.sh" --out "$out" \
  --ops "$root/schemas/api/operations.json"
# The register the window created gets demo staff and matters, then the desk work is driven.
"$target"/debug/xinfang --data "$appdata" demo --cases 120 >/dev/null
python3 tests/desktop/window_test.py --phase main --port "$port" --app "$work/app.sh" --out "$out" \
  --ops "$root/schemas/api/operations.json"
