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
for run in HappiTrack.Web.Tests:Sqlite HappiTrack.Web.Tests:Postgres HappiTrack.E2E:Sqlite; do
  project=${run%%:*}
  log=$(mktemp)
  echo "== $project on ${run##*:}"
  # Benchmarks (trait Category=Bench) measure rather than check; bench/*/run.sh runs them.
  HT_TEST_PROVIDER=${run##*:} dotnet test "$project" -c Release --no-build --nologo --logger "console;verbosity=minimal" --filter "Category!=Bench" "$@" 2>&1 | tee "$log"
  [ "${PIPESTATUS[0]}" -ne 0 ] && status=1
  # vstest's summary: "Passed!  - Failed:     0, Passed:    12, Skipped: ..."
  summary=$(grep -E '(Passed|Failed)! +- +Failed: +[0-9]+, +Passed: +[0-9]+' "$log" | tail -1)
  if [ -z "$summary" ]; then
    echo "no test summary from $project"; status=1; failed=$((failed + 1))
  else
    p=$(sed -E 's/.*Passed: +([0-9]+).*/\1/' <<<"$summary"); f=$(sed -E 's/.*Failed: +([0-9]+),.*/\1/' <<<"$summary")
    passed=$((passed + p)); failed=$((failed + f))
  fi
  rm -f "$log"
done

echo "$passed passed, $failed failed"
exit $status
