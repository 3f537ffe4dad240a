#!/usr/bin/env bash
# Adds one migration, with the same name, to BOTH providers after a model change:
#   scripts/add-migration.sh Issue42Something
# Needs no database (design-time factories in Data/ProviderDbContexts.cs). Existing migrations are
# history that deployed databases depend on: never regenerate or delete them.
set -euo pipefail
name="${1:?usage: scripts/add-migration.sh <MigrationName>}"
cd "$(dirname "$0")/../HappiTrack.Web"
dotnet tool restore >/dev/null
dotnet build -nologo -v q
dotnet ef migrations add "$name" --no-build --context SqliteAppDbContext -o Data/Migrations/Sqlite
dotnet ef migrations add "$name" --no-build --context PostgresAppDbContext -o Data/Migrations/Postgres
