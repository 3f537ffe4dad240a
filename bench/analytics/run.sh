#!/usr/bin/env bash
# Analytics benchmark: server time to render /analytics for a 30-day range over the demo history
# (1,000,000 events, 50,000 visitors, 5,000 contacts, 5,000 orders), with daily roll-ups and with raw events.
# Figures, not pass/fail. Usage: bench/analytics/run.sh [requests-per-mode (default 30)] [--regen]
set -euo pipefail
cd "$(dirname "$0")/../.."

N=${1:-30}
REGEN=${2:-}
OUT=bench/results
DB="$PWD/$OUT/analytics-demo.db"
PORT=${PORT:-5291}
EMAIL="bench-analyst@example.com"
JAR="$OUT/analytics-cookies.txt"
mkdir -p "$OUT"

dotnet build HappiTrack.Web -c Release -nologo -v q >/dev/null
export ConnectionStrings__Default="Data Source=$DB"
export ASPNETCORE_ENVIRONMENT=Production
export Logging__LogLevel__Default=Warning

# The database is reused between runs while the schema, the generator and the roll-up code it was built with are unchanged.
INPUTS=$(cat HappiTrack.Web/Data/Migrations/Sqlite/*.cs HappiTrack.Web/Features/Analytics/{DemoDataGenerator,RollupService,AnalyticsSql,Rollups}.cs | sha256sum | cut -c1-16)
if [ -f "$DB" ] && [ "$REGEN" != "--regen" ] && [ "$(cat "$DB.inputs" 2>/dev/null)" != "$INPUTS" ]; then
  echo "== the demo database was built by other code (schema, generator or roll-ups changed): rebuilding it"
  REGEN=--regen
fi
if [ ! -f "$DB" ] || [ "$REGEN" = "--regen" ]; then
  rm -f "$DB" "$DB-wal" "$DB-shm" "$DB.inputs" "$OUT/analytics-admin-password"
  echo "== seed-demo (fresh database), load average $(cut -d' ' -f1-3 /proc/loadavg)"
  start=$(date +%s%N)
  (cd HappiTrack.Web && dotnet bin/Release/net10.0/HappiTrack.Web.dll seed-demo --events 1000000 --visitors 50000 --contacts 5000 --orders 5000)
  echo "seed-demo wall time: $(( ($(date +%s%N) - start) / 1000000 )) ms"
  echo "$INPUTS" >"$DB.inputs"
fi

# The first start seeds this admin into the demo database; later runs must present the same password.
[ -f "$OUT/analytics-admin-password" ] || echo "bench-$(head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')" >"$OUT/analytics-admin-password"
PASSWORD=$(cat "$OUT/analytics-admin-password")
# Jobs:RunServer=false: the brain's projector would otherwise score the million demo events while we measure.
(cd HappiTrack.Web && exec env Admin__Email="$EMAIL" Admin__Password="$PASSWORD" Jobs__RunServer=false ASPNETCORE_URLS="http://127.0.0.1:$PORT" \
  dotnet bin/Release/net10.0/HappiTrack.Web.dll) >"$OUT/analytics-server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 1; done

# Sign in through the real login form (the dashboard needs an Admin or Analyst session).
rm -f "$JAR"
FORM_TOKEN=$(curl -s -c "$JAR" -b "$JAR" "http://127.0.0.1:$PORT/admin/login" \
  | grep -o 'name="__RequestVerificationToken" type="hidden" value="[^"]*"' | sed -E 's/.*value="([^"]*)"/\1/' | head -1)
curl -s -o /dev/null -c "$JAR" -b "$JAR" "http://127.0.0.1:$PORT/admin/login" \
  --data-urlencode "Input.Email=$EMAIL" --data-urlencode "Input.Password=$PASSWORD" --data-urlencode "__RequestVerificationToken=$FORM_TOKEN"

# CPU time (user + system, ms) the server process has used so far: a figure that a busy shared machine inflates far less than wall time.
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) * 1000 / hz}' "/proc/$SERVER/stat"; }

# prints "median p95" (ms) of the numbers on stdin
stats() { sort -n | awk '{a[NR]=$1} END {m=a[int((NR+1)/2)]; p=a[int(NR*0.95+0.999)]; printf "%.1f %.1f\n", m, p}'; }

measure() { # $1 = label, $2 = query
  local url="http://127.0.0.1:$PORT/analytics$2"
  [ "$(curl -s -o /dev/null -w '%{http_code}' -b "$JAR" "$url")" = 200 ] || { echo "not signed in: $url"; exit 1; }
  for _ in 1 2 3 4 5; do curl -s -o /dev/null -b "$JAR" "$url"; done
  : >"$OUT/t.txt"; : >"$OUT/f.txt"; : >"$OUT/s.txt"
  local load_before cpu_before; load_before=$(cut -d' ' -f1 /proc/loadavg); cpu_before=$(cpu_ms)
  for _ in $(seq 1 "$N"); do
    curl -s -D "$OUT/h.txt" -o /dev/null -w '%{time_total}\n' -b "$JAR" "$url" \
      | awk '{printf "%.3f\n", $1*1000}' >>"$OUT/t.txt"
    grep -i '^server-timing' "$OUT/h.txt" | sed -E 's/.*funnel;dur=([0-9.]+).*/\1/' >>"$OUT/f.txt" || true
    # every "name;dur=ms" pair of the header, one per line, for the per-segment medians
    grep -i '^server-timing' "$OUT/h.txt" | cut -d' ' -f2- | tr -d '\r' | tr ',' '\n' \
      | sed -nE 's/^ *([a-z-]+);dur=([0-9.]+).*/\1 \2/p' >>"$OUT/s.txt" || true
  done
  local cpu; cpu=$(awk -v a="$cpu_before" -v b="$(cpu_ms)" -v n="$N" 'BEGIN {printf "%.1f", (b - a) / n}')
  read -r tm tp < <(stats <"$OUT/t.txt")
  read -r fm fp < <(stats <"$OUT/f.txt")
  printf "%-22s page median %7s ms  p95 %7s ms | funnel query median %7s ms  p95 %7s ms | server CPU %7s ms/page | load %s -> %s\n" \
    "$1" "$tm" "$tp" "$fm" "$fp" "$cpu" "$load_before" "$(cut -d' ' -f1 /proc/loadavg)"
  printf "    Server-Timing medians (ms):"
  for seg in $(awk '{print $1}' "$OUT/s.txt" | awk '!seen[$0]++'); do
    printf " %s %s" "$seg" "$(awk -v s="$seg" '$1 == s {print $2}' "$OUT/s.txt" | stats | cut -d' ' -f1)"
  done
  echo
}

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== $N requests per mode, after 5 warm-up requests; curl time_total on loopback (whole page: queries + Razor)"
measure "30 days, roll-ups" "?preset=30d"
measure "30 days, raw events" "?preset=30d&source=raw"
measure "90 days, roll-ups" "?preset=90d"
rm -f "$OUT/t.txt" "$OUT/f.txt" "$OUT/s.txt" "$OUT/h.txt" "$JAR"
echo "load average during the run: $(cut -d' ' -f1-3 /proc/loadavg)"
