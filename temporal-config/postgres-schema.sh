#!/bin/sh
# One-shot (the temporal-schema service in docker-compose.yml, admin-tools image): creates Temporal's
# two PostgreSQL databases and brings both schemas up to the version this admin-tools image ships.
# Every step is idempotent, so it runs on each `docker compose up` and upgrades an existing volume
# in place after the server and admin-tools images are bumped together.
#
# Settings (environment, the same names the temporalio/server image reads):
#   POSTGRES_SEEDS, DB_PORT (5432), POSTGRES_USER, POSTGRES_PWD,
#   DBNAME (temporal), VISIBILITY_DBNAME (temporal_visibility)
set -eu

: "${POSTGRES_SEEDS:?POSTGRES_SEEDS (the PostgreSQL host) is required}"
: "${POSTGRES_USER:?POSTGRES_USER is required}"
: "${POSTGRES_PWD:?POSTGRES_PWD is required}"
DB_PORT="${DB_PORT:-5432}"
DBNAME="${DBNAME:-temporal}"
VISIBILITY_DBNAME="${VISIBILITY_DBNAME:-temporal_visibility}"
SCHEMA_ROOT=/etc/temporal/schema/postgresql/v12

# temporal-sql-tool reads the password from the environment, which keeps it out of `ps`.
export SQL_PASSWORD="$POSTGRES_PWD"

setup_database() {
  database="$1"
  schema_dir="$SCHEMA_ROOT/$2/versioned"
  echo "[temporal-schema] $database: create if missing, then update schema from $schema_dir"
  set -- temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" --db "$database"
  "$@" create
  "$@" setup-schema -v 0.0
  "$@" update-schema -d "$schema_dir"
}

setup_database "$DBNAME" temporal
setup_database "$VISIBILITY_DBNAME" visibility
echo "[temporal-schema] done"
