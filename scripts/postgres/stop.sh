#!/usr/bin/env bash
# Stops a cluster started by start.sh and deletes its folder.   usage: scripts/postgres/stop.sh DIR
set -euo pipefail
dir="${1:?usage: stop.sh DIR (the first line start.sh printed)}"
[ -d "$dir/data" ] || { echo "error: $dir holds no cluster started by start.sh" >&2; exit 1; }
BIN="${PG_BIN:-}"
if [ -z "$BIN" ]; then
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/pg_ctl" ] && BIN="$d"; done
fi
as_owner=()
[ "$(id -u)" = 0 ] && as_owner=(runuser -u postgres --)
"${as_owner[@]}" "$BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || echo "warning: pg_ctl stop failed; see $dir/server.log" >&2
rm -rf "$dir"
