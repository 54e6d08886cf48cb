#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster in a new temporary folder, listening on 127.0.0.1 only (no Unix socket elsewhere),
# and prints two lines: the folder (give it to stop.sh) and an Npgsql connection string for it.
#   usage: scripts/postgres/start.sh [PORT]        (default: the first free port from 55432)
# Needs PostgreSQL's server binaries (Debian: apt-get install postgresql). As root, the cluster runs as user 'postgres'.
set -euo pipefail
BIN="${PG_BIN:-}"
if [ -z "$BIN" ]; then
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && BIN="$d"; done
fi
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
  echo "error: PostgreSQL server binaries not found (initdb); install them (Debian: apt-get install postgresql) or set PG_BIN" >&2
  exit 1
fi
port="${1:-}"
if [ -z "$port" ]; then
  port=55432
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
fi
dir="$(mktemp -d "${TMPDIR:-/tmp}/rwkv-pg.XXXXXX")"
as_owner=()
if [ "$(id -u)" = 0 ]; then
  # postgres refuses to run as root.
  id postgres >/dev/null 2>&1 || { echo "error: running as root and there is no 'postgres' user to run the server as" >&2; exit 1; }
  chown postgres: "$dir"
  chmod 700 "$dir"
  as_owner=(runuser -u postgres --)
fi
"${as_owner[@]}" "$BIN/initdb" -D "$dir/data" -U rwkv --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; echo "error: initdb failed (log above)" >&2; exit 1; }
"${as_owner[@]}" "$BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=off -c max_connections=50" start >/dev/null \
  || { cat "$dir/server.log" >&2; echo "error: the PostgreSQL server did not start (log above)" >&2; exit 1; }
echo "$dir"
echo "Host=127.0.0.1;Port=$port;Username=rwkv;Database=postgres"
