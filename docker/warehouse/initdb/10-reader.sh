#!/usr/bin/env bash
# Run once by the postgres image on the warehouse volume's first start (docker-entrypoint-initdb.d):
# the `published` schema the pipeline publishes to, owned by POSTGRES_USER (HOTLINE_PG_DSN logs in
# as it), and the read-only role hotline_reader that Superset and other BI tools log in as.
set -euo pipefail
: "${HOTLINE_READER_PASSWORD:?set HOTLINE_READER_PASSWORD}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v owner="$POSTGRES_USER" -v dbname="$POSTGRES_DB" -v reader_password="$HOTLINE_READER_PASSWORD" <<'SQL'
CREATE ROLE hotline_reader LOGIN PASSWORD :'reader_password';
-- read-only even if someone later grants it more
ALTER ROLE hotline_reader SET default_transaction_read_only = on;
ALTER ROLE hotline_reader SET search_path = published;
GRANT CONNECT ON DATABASE :"dbname" TO hotline_reader;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

CREATE SCHEMA IF NOT EXISTS published AUTHORIZATION :"owner";
GRANT USAGE ON SCHEMA published TO hotline_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA published TO hotline_reader;
-- whatever the owner creates later: tables and views it publishes, and a schema it builds beside
-- `published` and renames onto it, are readable without another grant
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" GRANT SELECT ON TABLES TO hotline_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" GRANT USAGE ON SCHEMAS TO hotline_reader;
SQL
