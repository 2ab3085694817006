#!/usr/bin/env bash
# Installs what building and testing Xinfang Desk needs on a fresh Debian machine: the system
# libraries for the Tauri shell (WebKitGTK 4.1), Chromium and the WebKit WebDriver for the
# browser and window tests, Xvfb, poppler and CJK fonts, CUPS with a PDF printer for the
# print test, the sqlite3 CLI the encryption test reads a copied register with (libssl-dev:
# SQLCipher links the system libcrypto), and the PostgreSQL server the county hub's tests run a
# throwaway cluster of (scripts/postgres.sh). Idempotent and quiet when all is there.
set -euo pipefail

packages=(
  build-essential pkg-config file curl ca-certificates
  libssl-dev libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libsoup-3.0-dev
  libjavascriptcoregtk-4.1-dev libxdo-dev
  xvfb xauth webkit2gtk-driver chromium chromium-driver
  poppler-utils fonts-noto-cjk imagemagick sqlite3
  cups cups-client printer-driver-cups-pdf
  postgresql
)

missing=()
for pkg in "${packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ! command -v node >/dev/null 2>&1; then missing+=(nodejs npm); fi

if ((${#missing[@]})); then
  echo "== installing: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo is required (install Rust with rustup)" >&2
  exit 1
fi
