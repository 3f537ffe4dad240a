#!/usr/bin/env bash
# Analytics benchmark: server time to render /analytics for a 30-day range over the demo history
# (1,000,000 events, 50,000 visitors, 5,000 contacts, 5,000 orders), with daily roll-ups and with raw events.
# Figures, not pass/fail. Usage: bench/analytics/run.sh [requests-per-mode (default 60)] [--regen]
set -euo pipefail
cd "$(dirname "$0")/../.."

N=${1:-60}
REGEN=${2:-}
OUT=bench/results
DB="$PWD/$OUT/analytics-demo.db"
PORT=${PORT:-5291}
TOKEN="bench-$(head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
mkdir -p "$OUT"

dotnet build HappiTrack.Web -c Release -nologo -v q >/dev/null
export ConnectionStrings__Default="Data Source=$DB"
export ASPNETCORE_ENVIRONMENT=Production
export Logging__LogLevel__Default=Warning

if [ ! -f "$DB" ] || [ "$REGEN" = "--regen" ]; then
  rm -f "$DB" "$DB-wal" "$DB-shm"
  echo "== seed-demo (fresh database)"
  start=$(date +%s%N)
  (cd HappiTrack.Web && dotnet bin/Release/net10.0/HappiTrack.Web.dll seed-demo --events 1000000 --visitors 50000 --contacts 5000 --orders 5000)
  echo "seed-demo wall time: $(( ($(date +%s%N) - start) / 1000000 )) ms"
fi

(cd HappiTrack.Web && exec env Admin__ApiToken="$TOKEN" ASPNETCORE_URLS="http://127.0.0.1:$PORT" \
  dotnet bin/Release/net10.0/HappiTrack.Web.dll) >"$OUT/analytics-server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 1; done

# prints "median p95" (ms) of the numbers on stdin
stats() { sort -n | awk '{a[NR]=$1} END {m=a[int((NR+1)/2)]; p=a[int(NR*0.95+0.999)]; printf "%.1f %.1f\n", m, p}'; }

measure() { # $1 = label, $2 = query
  local url="http://127.0.0.1:$PORT/analytics$2" total=() funnel=()
  for _ in 1 2 3 4 5; do curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" "$url"; done
  : >"$OUT/t.txt"; : >"$OUT/f.txt"
  for _ in $(seq 1 "$N"); do
    curl -s -D "$OUT/h.txt" -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $TOKEN" "$url" \
      | awk '{printf "%.3f\n", $1*1000}' >>"$OUT/t.txt"
    grep -i '^server-timing' "$OUT/h.txt" | sed -E 's/.*funnel;dur=([0-9.]+).*/\1/' >>"$OUT/f.txt"
  done
  read -r tm tp < <(stats <"$OUT/t.txt")
  read -r fm fp < <(stats <"$OUT/f.txt")
  printf "%-28s page median %7s ms  p95 %7s ms | funnel query median %7s ms  p95 %7s ms\n" "$1" "$tm" "$tp" "$fm" "$fp"
}

echo "== $N requests per mode, after 5 warm-up requests; curl time_total on loopback (whole page: queries + Razor)"
measure "30 days, roll-ups" "?preset=30d"
measure "30 days, raw events" "?preset=30d&source=raw"
measure "90 days, roll-ups" "?preset=90d"
measure "90 days, raw events" "?preset=90d&source=raw"
rm -f "$OUT/t.txt" "$OUT/f.txt" "$OUT/h.txt"
