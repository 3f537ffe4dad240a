#!/usr/bin/env bash
# A throwaway PostgreSQL for tests, benchmarks and trying scale-out locally.
#   scripts/pg.sh start [DIR]  -> initdb + start on a free loopback port; prints the connection string
#   scripts/pg.sh stop  [DIR]  -> stop it and delete DIR
# Uses the machine's own initdb/pg_ctl (PostgreSQL 15 on PATH). PostgreSQL refuses to run as root,
# so under root it runs as the 'postgres' user (created if missing).
set -euo pipefail
cmd=${1:-start}
dir=${2:-${HT_PG_DIR:-/tmp/happitrack-pg}}

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

case "$cmd" in
  start)
    if [ -f "$dir/port" ] && as_pg pg_ctl -D "$dir/data" status >/dev/null 2>&1; then
      echo "Host=127.0.0.1;Port=$(cat "$dir/port");Username=happitrack;Password=happitrack;Database=happitrack"
      exit 0
    fi
    rm -rf "$dir"; mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && { id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres; chown postgres "$dir"; }
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
    echo happitrack > "$dir/pwfile"; [ "$(id -u)" -eq 0 ] && chown postgres "$dir/pwfile"
    as_pg initdb -D "$dir/data" -U happitrack --pwfile="$dir/pwfile" --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    # Durability is irrelevant for a throwaway test server; speed is not.
    as_pg pg_ctl -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
      -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    echo "$port" > "$dir/port"
    as_pg psql -h "$dir" -p "$port" -U happitrack -d postgres -qc "CREATE DATABASE happitrack" >/dev/null
    echo "Host=127.0.0.1;Port=$port;Username=happitrack;Password=happitrack;Database=happitrack"
    ;;
  stop)
    [ -d "$dir/data" ] && as_pg pg_ctl -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start|stop [DIR]" >&2; exit 2 ;;
esac
