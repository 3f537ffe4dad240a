#!/usr/bin/env bash
# Login timing: does a failed sign-in take the same time for an unknown account, a known account
# with a wrong password and a locked-out account? (Each should cost exactly one password hash.)
# Starts the app (Release, Development, private SQLite file) on a loopback port, times N POSTs of
# the real login form per case with curl, prints min/median/p90 in ms. Figures, not pass/fail.
# Usage: bench/admin-login/run.sh [N]   (default 30)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-30}
PORT=${PORT:-5397}
BASE="http://127.0.0.1:$PORT"
WORK=$(mktemp -d)
DB="$WORK/bench.db"

dotnet build HappiTrack.Web -c Release -nologo -v q >/dev/null
ASPNETCORE_ENVIRONMENT=Development ConnectionStrings__Default="Data Source=$DB" Logging__LogLevel__Default=Warning \
  dotnet HappiTrack.Web/bin/Release/net10.0/HappiTrack.Web.dll --urls "$BASE" >"$WORK/app.log" 2>&1 &
APP=$!
trap 'kill $APP 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 1 120); do curl -sf -o /dev/null "$BASE/admin/login" && break; sleep 0.5; done

# One POST of the login form; prints seconds.
attempt() {
  local email=$1 password=$2 jar="$WORK/jar" token
  rm -f "$jar"
  token=$(curl -s -c "$jar" -b "$jar" "$BASE/admin/login" | grep -o 'name="__RequestVerificationToken" type="hidden" value="[^"]*"' | sed 's/.*value="//;s/"$//')
  curl -s -o /dev/null -c "$jar" -b "$jar" -w '%{time_total}\n' \
    --data-urlencode "Input.Email=$email" --data-urlencode "Input.Password=$password" \
    --data-urlencode "__RequestVerificationToken=$token" "$BASE/admin/login"
}

stats() { sort -n | awk '{v[NR]=$1*1000} END {printf "min %.1f  median %.1f  p90 %.1f  (n=%d)\n", v[1], v[int((NR+1)/2)], v[int(NR*0.9)], NR}'; }

# Warm-up (JIT, first hash, connection pools).
for _ in 1 2 3; do attempt nobody@example.com warm-up-password >/dev/null; done
attempt admin@happitrack.local happitrack-dev-admin >/dev/null

# For scale: a rejected form (empty password) does no hashing at all.
echo "baseline, no hash:    $(for _ in $(seq 1 "$N"); do attempt admin@happitrack.local ""; done | stats)"
echo "unknown account:      $(for _ in $(seq 1 "$N"); do attempt "ghost$RANDOM@example.com" "wrong password here"; done | stats)"
# A successful sign-in resets the failure count, so one after every 4 failures keeps the account unlocked.
known_wrong() {
  for i in $(seq 1 "$N"); do
    attempt admin@happitrack.local "wrong password here"
    if (( i % 4 == 0 )); then attempt admin@happitrack.local happitrack-dev-admin >/dev/null; fi
  done
}
echo "known, wrong password: $(known_wrong | stats)"
for _ in 1 2 3 4 5; do attempt admin@happitrack.local "wrong password here" >/dev/null; done
echo "known, locked out:    $(for _ in $(seq 1 "$N"); do attempt admin@happitrack.local "wrong password here"; done | stats)"
