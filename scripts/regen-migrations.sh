#!/usr/bin/env bash
# Regenerates the single `Initial` migration of BOTH providers after a model change (pre-release:
# one migration per provider). Needs no database: design-time factories in Data/ProviderDbContexts.cs.
set -euo pipefail
cd "$(dirname "$0")/../HappiTrack.Web"
dotnet tool restore >/dev/null
rm -rf Data/Migrations
dotnet build -nologo -v q
dotnet ef migrations add Initial --no-build --context SqliteAppDbContext -o Data/Migrations/Sqlite
dotnet ef migrations add Initial --no-build --context PostgresAppDbContext -o Data/Migrations/Postgres
