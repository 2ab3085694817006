#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the county hub's tests, all inside one directory:
#   bash scripts/postgres.sh start DIR   # initdb + start; prints the server's URL
#   bash scripts/postgres.sh stop DIR    # stops it and removes DIR
# It uses Debian's server (package postgresql, installed by setup.sh; binaries in
# /usr/lib/postgresql/NN/bin), listens on no TCP port at all, only on a Unix socket in DIR (so
# no port can clash and no one else on the machine can reach it), and trusts its superuser
# `postgres` on that socket. initdb refuses to run as root, so under root the cluster belongs
# to the `postgres` user the package creates.
set -euo pipefail

action="${1:?usage: postgres.sh start|stop DIR}"
dir="${2:?usage: postgres.sh start|stop DIR}"

bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "no PostgreSQL server under /usr/lib/postgresql (apt-get install postgresql)" >&2
  exit 1
fi

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$action" in
  start)
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
    chmod 700 "$dir"
    if ! as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C \
      >"$dir/initdb.log" 2>&1; then
      cat "$dir/initdb.log" >&2
      exit 1
    fi
    # fsync off: the cluster lives for one test run; the hub's own durability setting
    # (synchronous_commit) is still what it asks for.
    if ! as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c fsync=off" \
      start >/dev/null; then
      cat "$dir/server.log" >&2
      exit 1
    fi
    # A Unix socket directory is the URL's host, percent-encoded.
    printf 'postgresql://postgres@%s/postgres\n' "${dir//\//%2F}"
    ;;
  stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
      as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: postgres.sh start|stop DIR" >&2
    exit 2
    ;;
esac
