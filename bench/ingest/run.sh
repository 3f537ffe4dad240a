#!/usr/bin/env bash
# Ingestion benchmark: builds the app in Release, and for each writer (Batched = group commit,
# Naive = one SaveChanges per request) starts it in Production mode on a fresh temporary SQLite
# file, then runs the load generator: the sustained maximum (closed loop), then a fixed 5,000
# events/s (open loop) for latency. Prints one line per run; logs go to bench/results/ (git-ignored).
# With providers "Sqlite Postgres" each writer also runs on a throwaway PostgreSQL 15 (scripts/pg.sh,
# fsync off like the tests' server; one fresh server per run) with Database:Provider=Postgres.
# Then, on SQLite, the "limit": the same rows inserted by a bare ADO.NET loop into an emptied copy of the app's
# migrated database (same indexes and pragmas, LoadGenerator/Limit.cs), and every app figure divided by it.
# Usage: bench/ingest/run.sh [seconds per run, default 20] [writers, default "Batched Naive"] [providers, default "Sqlite"]
# HT_BENCH_CONCURRENCY sets the closed loop's connections (default 64, as issue 16's held-out measurement).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-20}"
writers="${2:-Batched Naive}"
providers="${3:-Sqlite}"
port="${HT_BENCH_PORT:-5099}"
concurrency="${HT_BENCH_CONCURRENCY:-64}"
schema_db=""
out="bench/results/ingest-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
work="$(mktemp -d)"
app_pid=""
pg_dir=""
cleanup() {
  if [ -n "$app_pid" ]; then kill "$app_pid" 2>/dev/null || true; wait "$app_pid" 2>/dev/null || true; fi
  if [ -n "$pg_dir" ]; then scripts/pg.sh stop "$pg_dir"; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "Building (Release)..."
# ReadyToRun, as for a deployment: precompiled code for the app and its packages instead of JIT at start.
dotnet publish HappiTrack.Web -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$work/app" -nologo -v q >/dev/null
dotnet build bench/ingest/LoadGenerator -c Release -o "$work/loadgen" -nologo -v q >/dev/null

{
  echo "machine: $(nproc) cores; $(lscpu | grep -m1 'Model name' | sed 's/ \+/ /g')"
  echo "load before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out/summary.txt"

for provider in $providers; do
for writer in $writers; do
  label="$writer"
  if [ "$provider" = Postgres ]; then
    pg_dir=$(mktemp -u /tmp/happitrack-bench-pg.XXXXXX)
    db=$(scripts/pg.sh start "$pg_dir")
    connection="$db"
    label="$writer on PostgreSQL"
  else
    db="$work/bench-$writer.db"
    connection="Data Source=$db"
  fi
  ASPNETCORE_ENVIRONMENT=Production \
  ASPNETCORE_URLS="http://127.0.0.1:$port" \
  Database__Provider="$provider" \
  ConnectionStrings__Default="$connection" \
  Tracking__Writer="$writer" \
  Tracking__RateLimit__VisitorPermits=100000000 \
  Tracking__RateLimit__IpPermits=100000000 \
  Logging__LogLevel__Default=Warning \
  ASPNETCORE_CONTENTROOT="$work/app" \
    dotnet "$work/app/HappiTrack.Web.dll" >"$out/app-$provider-$writer.log" 2>&1 &
  app_pid=$!

  loadgen=(dotnet "$work/loadgen/LoadGenerator.dll" --url "http://127.0.0.1:$port" --db "$db" --app-pid "$app_pid" --label "$label" --seconds "$seconds")
  "${loadgen[@]}" --mode closed --concurrency "$concurrency" --warmup 5 | tee -a "$out/summary.txt" || true
  "${loadgen[@]}" --mode rate --rate 5000 --warmup 2 | tee -a "$out/summary.txt" || true

  kill "$app_pid"; wait "$app_pid" 2>/dev/null || true; app_pid=""
  if [ "$provider" = Sqlite ] && [ -z "$schema_db" ]; then schema_db="$db"; fi
  if [ -n "$pg_dir" ]; then scripts/pg.sh stop "$pg_dir"; pg_dir=""; fi
done
done
if [ -n "$schema_db" ]; then
  echo "load before the limit run: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/summary.txt"
  limit_line=$(dotnet "$work/loadgen/LoadGenerator.dll" --mode limit --schema-from "$schema_db" --db "$work/limit.db" --seconds "$seconds" --label SQLite)
  echo "$limit_line" | tee -a "$out/summary.txt"
  limit=$(sed -E 's/.*rows\/s +([0-9]+).*/\1/' <<<"$limit_line")
  echo "app events/s ÷ limit rows/s ($limit):" | tee -a "$out/summary.txt"
  grep -E ' (closed|rate) .* events/s ' "$out/summary.txt" | while read -r line; do
    events=$(sed -E 's/.* events\/s +([0-9]+).*/\1/' <<<"$line")
    p99=$(sed -E 's/.* p99 +([0-9.]+) ms.*/\1/' <<<"$line")
    printf '  %-40s %8s events/s  ratio %s  p99 %s ms\n' "$(cut -c1-38 <<<"$line")" "$events" "$(awk -v a="$events" -v b="$limit" 'BEGIN { printf "%.2f", a / b }')" "$p99"
  done | tee -a "$out/summary.txt"
fi
echo "load after the run: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/summary.txt"
echo "Results in $out/summary.txt"
