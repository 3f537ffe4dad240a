#!/usr/bin/env bash
# Runs every test: unit, integration and end-to-end (real Chromium). The integration suite runs
# twice, on SQLite and on PostgreSQL (a throwaway server from scripts/pg.sh, stopped on exit).
# Installs what the tests need and the machine lacks (Debian's chromium), then prints
# one closing line "N passed, N failed" summed over the test projects.
set -uo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ] && [ -z "${HT_CHROMIUM:-}" ]; then
  echo "Installing Debian's chromium for the end-to-end tests..."
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null \
    || { echo "could not install chromium"; exit 1; }
fi

dotnet tool restore >/dev/null
# Hundreds of test hosts each watch appsettings*.json; polling keeps them under the machine's
# inotify instance limit (128 per user by default).
export DOTNET_USE_POLLING_FILE_WATCHER=1
# The app's console log is noise in a test run; tests that read logs use their own providers.
export Logging__Console__LogLevel__Default=Warning

pg_dir=$(mktemp -d /tmp/happitrack-test-pg.XXXXXX)
trap 'scripts/pg.sh stop "$pg_dir"' EXIT
if HT_TEST_POSTGRES=$(scripts/pg.sh start "$pg_dir"); then
  export HT_TEST_POSTGRES
else
  # No silent skip: without a server every PostgreSQL test fails and says why.
  echo "could not start PostgreSQL (initdb/pg_ctl on PATH?); the PostgreSQL tests will fail"
  unset HT_TEST_POSTGRES; export CI=${CI:-1}
fi
dotnet build HappiTrack.sln -c Release -nologo -v q || { echo "0 passed, 1 failed"; exit 1; }

passed=0; failed=0; status=0
logs=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; scripts/pg.sh stop "$pg_dir"; rm -rf "$logs"' EXIT

# One pass: project:provider. Benchmarks (trait Category=Bench) measure rather than check; bench/*/run.sh runs them.
# HT_TEST_FILTER narrows every pass further (a vstest filter, e.g. "FullyQualifiedName~Tracking"); dotnet test takes one --filter.
filter="Category!=Bench${HT_TEST_FILTER:+&(${HT_TEST_FILTER})}"
pass() {
  local project=${1%%:*} provider=${1##*:}
  HT_TEST_PROVIDER=$provider dotnet test "$project" -c Release --no-build --nologo --logger "console;verbosity=minimal" \
    --filter "$filter" "${extra[@]}"
}

# Adds a finished pass to the totals from vstest's summary: "Passed!  - Failed:     0, Passed:    12, Skipped: ..."
tally() {
  local run=$1 code=$2 log=$3 summary p f
  [ "$code" -ne 0 ] && status=1
  summary=$(grep -E '(Passed|Failed)! +- +Failed: +[0-9]+, +Passed: +[0-9]+' "$log" | tail -1)
  if [ -z "$summary" ]; then
    echo "no test summary from ${run%%:*} on ${run##*:}"; status=1; failed=$((failed + 1))
  else
    p=$(sed -E 's/.*Passed: +([0-9]+).*/\1/' <<<"$summary"); f=$(sed -E 's/.*Failed: +([0-9]+),.*/\1/' <<<"$summary")
    passed=$((passed + p)); failed=$((failed + f))
  fi
}
extra=("$@")

# The SQLite pass runs alone: its real-process tests (kill -9, floods, log volume) measure the app under
# load of their own and must have the machine to themselves.
echo "== HappiTrack.Web.Tests on Sqlite"
pass HappiTrack.Web.Tests:Sqlite 2>&1 | tee "$logs/sqlite"
tally HappiTrack.Web.Tests:Sqlite "${PIPESTATUS[0]}" "$logs/sqlite"

# The PostgreSQL pass and the end-to-end pass share nothing (own databases, files and free ports) and
# neither keeps two cores busy (the browser tests wait on a person's pace and one browser at a time), so
# they run side by side; each log is printed whole when its pass ends. HT_TEST_SERIAL=1 runs them in turn.
together=(HappiTrack.Web.Tests:Postgres HappiTrack.E2E:Sqlite)
if [ -n "${HT_TEST_SERIAL:-}" ]; then
  for run in "${together[@]}"; do
    echo "== ${run%%:*} on ${run##*:}"
    pass "$run" 2>&1 | tee "$logs/$run"
    tally "$run" "${PIPESTATUS[0]}" "$logs/$run"
  done
else
  echo "== HappiTrack.Web.Tests on Postgres and HappiTrack.E2E on Sqlite, side by side (each log follows whole when its pass ends)"
  pids=()
  for run in "${together[@]}"; do
    pass "$run" >"$logs/$run" 2>&1 &
    pids+=($!)
  done
  for i in "${!together[@]}"; do
    run=${together[$i]}
    wait "${pids[$i]}"; code=$?
    echo "== ${run%%:*} on ${run##*:}"
    cat "$logs/$run"
    tally "$run" "$code" "$logs/$run"
  done
fi

echo "$passed passed, $failed failed"
exit $status
