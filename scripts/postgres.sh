#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the county hub's tests, all inside one directory:
#   bash scripts/postgres.sh start DIR         # initdb + start; prints the server's URL
#   bash scripts/postgres.sh start DIR --tls   # the same, and prints a TLS URL instead
#   bash scripts/postgres.sh stop DIR          # stops it and removes DIR
# It uses Debian's server (package postgresql, installed by setup.sh; binaries in
# /usr/lib/postgresql/NN/bin). Plain, it listens on no TCP port at all, only on a Unix socket
# in DIR (so no port can clash and no one else on the machine can reach it), and trusts its
# superuser `postgres` on that socket.
# With --tls it also listens on a free port of 127.0.0.1, with a certificate for 127.0.0.1
# signed by a test authority made in DIR/tls (ca.pem), takes only TLS connections there
# (hostssl) with a random password, and prints the URL the hub's TLS mode is given:
#   postgresql://postgres:PW@127.0.0.1:PORT/postgres?sslmode=verify-full&sslrootcert=DIR/tls/ca.pem
# initdb refuses to run as root, so under root the cluster belongs to the `postgres` user the
# package creates.
set -euo pipefail

action="${1:?usage: postgres.sh start|stop DIR [--tls]}"
dir="${2:?usage: postgres.sh start|stop DIR [--tls]}"
tls="${3:-}"
# The cluster's owner may not enter the caller's directory (a 0700 clone under root): every
# path below is absolute, and the commands run from /.
mkdir -p "$(dirname "$dir")"
dir="$(cd "$(dirname "$dir")" && pwd)/$(basename "$dir")"
cd /

bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "no PostgreSQL server under /usr/lib/postgresql (apt-get install postgresql)" >&2
  exit 1
fi

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# A test certificate authority and a server certificate it signs for 127.0.0.1 (and no host
# name, so a client that checks names refuses `localhost`), in DIR/tls.
make_certificates() {
  as_owner mkdir -p "$dir/tls"
  as_owner tee "$dir/tls/openssl.cnf" >/dev/null <<'CNF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = Xinfang hub test database
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1
CNF
  (
    cd "$dir/tls"
    as_owner openssl req -x509 -config openssl.cnf -extensions ca -newkey ec \
      -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 7 \
      -subj "/CN=Xinfang hub test CA" 2>/dev/null
    as_owner openssl req -new -config openssl.cnf -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
      -nodes -keyout server.key -out server.csr -subj "/CN=127.0.0.1" 2>/dev/null
    as_owner openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -set_serial "0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" \
      -days 7 -extfile openssl.cnf -extensions server -out server.pem 2>/dev/null
    as_owner chmod 600 server.key ca.key
  )
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
    options="-c unix_socket_directories='$dir' -c fsync=off"
    if [ "$tls" != "--tls" ]; then
      if ! as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "$options -c listen_addresses=''" start >/dev/null; then
        cat "$dir/server.log" >&2
        exit 1
      fi
      # A Unix socket directory is the URL's host, percent-encoded.
      printf 'postgresql://postgres@%s/postgres\n' "${dir//\//%2F}"
      exit 0
    fi
    make_certificates
    # The socket stays for this script (setting the password); TCP takes TLS and a password.
    printf '%s\n' 'local all all trust' 'hostssl all all 127.0.0.1/32 scram-sha-256' \
      'host all all all reject' | as_owner tee "$dir/data/pg_hba.conf" >/dev/null
    options="$options -c listen_addresses='127.0.0.1' -c ssl=on"
    options="$options -c ssl_cert_file='$dir/tls/server.pem' -c ssl_key_file='$dir/tls/server.key'"
    # A free port: another run (or anything else) may hold the first one tried.
    started=""
    for _ in 1 2 3 4 5 6 7 8; do
      port=$((20000 + RANDOM % 30000))
      if as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "$options -c port=$port" start >/dev/null; then
        started=yes
        break
      fi
    done
    if [ -z "$started" ]; then
      cat "$dir/server.log" >&2
      exit 1
    fi
    password="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
    as_owner "$bindir/psql" -q -h "$dir" -p "$port" -U postgres -d postgres \
      -c "ALTER USER postgres PASSWORD '$password'" >/dev/null
    printf 'postgresql://postgres:%s@127.0.0.1:%s/postgres?sslmode=verify-full&sslrootcert=%s\n' \
      "$password" "$port" "$dir/tls/ca.pem"
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
