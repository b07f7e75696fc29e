#!/usr/bin/env bash
# Runs the project's Airflow: SQLite metadata and logs under the data folder, DAGs from dags/.
# Usage: scripts/airflow.sh <airflow arguments>, e.g. scripts/airflow.sh dags test hotline_daily 2024-01-01
set -euo pipefail
project="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="${HOTLINE_DATA_DIR:-$project/data}"
export AIRFLOW_HOME="$data/airflow"
export AIRFLOW__CORE__DAGS_FOLDER="$project/dags"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__DEFAULT_TIMEZONE=Asia/Shanghai
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="sqlite:///$AIRFLOW_HOME/airflow.db"
export GX_ANALYTICS_ENABLED=False
export DBT_SEND_ANONYMOUS_USAGE_STATS=False
mkdir -p "$AIRFLOW_HOME"
# first use: create the metadata database and the one-slot pool for warehouse writers
if [ ! -f "$AIRFLOW_HOME/airflow.db" ]; then
  "$project/.venv/bin/airflow" db migrate >"$AIRFLOW_HOME/migrate.log" 2>&1 \
    || { echo "airflow db migrate failed; see $AIRFLOW_HOME/migrate.log" >&2; exit 1; }
  "$project/.venv/bin/airflow" pools set warehouse_writes 1 "DuckDB allows one writer" >/dev/null
fi
exec "$project/.venv/bin/airflow" "$@"
