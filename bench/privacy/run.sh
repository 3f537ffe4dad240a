#!/usr/bin/env bash
# Export and erase times for one contact with 100,000 events (issue 18). SQLite by default;
# HT_TEST_PROVIDER=Postgres HT_TEST_POSTGRES=... for PostgreSQL. Prints the load with the figures.
set -euo pipefail
cd "$(dirname "$0")/../.."
uptime
DOTNET_USE_POLLING_FILE_WATCHER=1 Logging__Console__LogLevel__Default=Warning \
  dotnet test HappiTrack.Web.Tests -c Release --no-build --filter "FullyQualifiedName~PrivacyBench" \
  --logger "console;verbosity=detailed" 2>&1 | grep -E "provider|export:|erase:|Passed|Failed|Error Message"
uptime
