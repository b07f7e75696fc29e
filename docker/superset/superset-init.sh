#!/usr/bin/env bash
# One-off provisioning of the compose stack's Superset (the superset-init service): its metadata
# database, the admin from the environment, the built-in roles, and the warehouse connection.
# Safe to run again: every step updates what exists.
set -euo pipefail
: "${SUPERSET_ADMIN_USERNAME:?set SUPERSET_ADMIN_USERNAME}"
: "${SUPERSET_ADMIN_PASSWORD:?set SUPERSET_ADMIN_PASSWORD}"
: "${HOTLINE_WAREHOUSE_READER_URI:?set HOTLINE_WAREHOUSE_READER_URI}"
# the name analysts pick in Superset's database list
database_name="12345热线数据仓库"

superset db upgrade
# create-admin leaves an existing user alone, so the password is set again from the environment
superset fab create-admin \
  --username "$SUPERSET_ADMIN_USERNAME" \
  --firstname Superset \
  --lastname Admin \
  --email "${SUPERSET_ADMIN_EMAIL:-$SUPERSET_ADMIN_USERNAME@localhost}" \
  --password "$SUPERSET_ADMIN_PASSWORD"
superset fab reset-password --username "$SUPERSET_ADMIN_USERNAME" --password "$SUPERSET_ADMIN_PASSWORD"
superset init
# creates the connection, or points an existing one of that name at the URI
superset set-database-uri --database_name "$database_name" --uri "$HOTLINE_WAREHOUSE_READER_URI"
echo "Superset is provisioned: log in as $SUPERSET_ADMIN_USERNAME; database \"$database_name\" reads the warehouse's published schema"
