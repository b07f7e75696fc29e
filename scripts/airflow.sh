#!/usr/bin/env bash
# Runs the project's Airflow: SQLite metadata and logs under the data folder, DAGs from dags/.
#
# Usage:
#   scripts/airflow.sh start     a local Airflow in the background: scheduler, dag-processor,
#                                triggerer and api-server (UI and REST API on 127.0.0.1:8080)
#   scripts/airflow.sh stop      stops what `start` started, and nothing else
#   scripts/airflow.sh status    which components run, and where
#   scripts/airflow.sh init      migrate the metadata database, create the warehouse_writes pool
#                                and, if HOTLINE_AIRFLOW_ADMIN_PASSWORD is set, give the admin that
#                                password (docker-compose.yml's airflow-init)
#   scripts/airflow.sh <airflow arguments>   any airflow command, e.g.
#                                scripts/airflow.sh dags test hotline_daily 2024-01-01
#
# Settings (environment): HOTLINE_DATA_DIR (default ./data), AIRFLOW__DATABASE__SQL_ALCHEMY_CONN
# (default SQLite in the data folder; the compose stack gives its Postgres), HOTLINE_AIRFLOW_HOST (the api-server's
# address; start's default 127.0.0.1, 0.0.0.0 to serve other machines), HOTLINE_AIRFLOW_PORT (8080),
# AIRFLOW__CORE__PARALLELISM (default: the machine's cores), HOTLINE_AIRFLOW_STOP_TIMEOUT (60
# seconds, then SIGKILL).
# See docs/operating.md.
set -euo pipefail
project="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="${HOTLINE_DATA_DIR:-$project/data}"
venv="$project/.venv/bin"
# Airflow starts its own parts (standalone's components, task runners) as `airflow` from PATH
export PATH="$venv:$PATH"
export AIRFLOW_HOME="$data/airflow"
export AIRFLOW__CORE__DAGS_FOLDER="$project/dags"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__DEFAULT_TIMEZONE=Asia/Shanghai
# SQLite under the data folder unless a server is given (docker-compose.yml's Postgres)
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="${AIRFLOW__DATABASE__SQL_ALCHEMY_CONN:-sqlite:///$AIRFLOW_HOME/airflow.db}"
export AIRFLOW__CORE__EXECUTOR="${AIRFLOW__CORE__EXECUTOR:-LocalExecutor}"
# LocalExecutor forks this many workers; the warehouse pool lets one task write at a time anyway
cores="$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)"
export AIRFLOW__CORE__PARALLELISM="${AIRFLOW__CORE__PARALLELISM:-$cores}"
# `start` binds the api-server to 127.0.0.1 unless told otherwise; any other command (standalone,
# also in the container) keeps Airflow's default, all interfaces, unless HOTLINE_AIRFLOW_HOST says
case "${1:-}" in
  start | stop | status) host="${HOTLINE_AIRFLOW_HOST:-127.0.0.1}" ;;
  *) host="${HOTLINE_AIRFLOW_HOST:-}" ;;
esac
if [ -n "$host" ]; then export AIRFLOW__API__HOST="$host"; fi
port="${HOTLINE_AIRFLOW_PORT:-8080}"
export AIRFLOW__API__PORT="$port"
# task runners report to the api-server's execution API; Airflow's default assumes localhost:8080
case "$host" in 0.0.0.0 | "::" | "") local_host=127.0.0.1 ;; *) local_host="$host" ;; esac
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="${AIRFLOW__CORE__EXECUTION_API_SERVER_URL:-http://$local_host:$port/execution/}"
export GX_ANALYTICS_ENABLED=False
export DBT_SEND_ANONYMOUS_USAGE_STATS=False
mkdir -p "$AIRFLOW_HOME"

run_dir="$AIRFLOW_HOME/run"                # one pid file per component
log_dir="$AIRFLOW_HOME/logs/components"    # one log per component; task logs are in logs/dag_id=…
components=(api-server dag-processor triggerer scheduler)
password_file="$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated"
ui="http://$local_host:$port"

# `airflow db migrate` and the one-slot warehouse_writes pool, in one process (pipeline/airflow_metadata.py)
migrate() {
  "$venv/python" -m pipeline.airflow_metadata >"$AIRFLOW_HOME/migrate.log" 2>&1 \
    || { echo "airflow db migrate failed; see $AIRFLOW_HOME/migrate.log" >&2; exit 1; }
}

# the processes of a component: its session (start makes each component a session leader, and
# everything it forks stays in that session, task runners included)
session_pids() {
  ps -eo pid=,sid= | awk -v sid="$1" '$2 == sid { print $1 }'
}

# the pid of a running component, from its pid file: a session leader running airflow (not a
# process that got the number of one that died); empty when it is not running
component_pid() {
  local pid_file="$run_dir/$1.pid" pid
  [ -f "$pid_file" ] || return 0
  pid="$(cat "$pid_file")"
  if [ "$(ps -o sid= -p "$pid" 2>/dev/null | tr -d ' ')" = "$pid" ] \
    && ps -o args= -p "$pid" 2>/dev/null | grep -q airflow; then
    echo "$pid"
  fi
}

start_component() {
  local name="$1" pid
  pid="$(component_pid "$name")"
  if [ -n "$pid" ]; then
    echo "$name: already running (pid $pid)"
    return
  fi
  [ -f "$log_dir/$name.log" ] && mv -f "$log_dir/$name.log" "$log_dir/$name.log.1"
  # the api-server reads task logs from the local log folder: no log-serving side processes and ports
  local extra=()
  case "$name" in scheduler | triggerer) extra=(--skip-serve-logs) ;; esac
  # a new session, so that stop can find the component and every process it started
  "$venv/python" -c 'import os, sys; os.setsid(); os.execv(sys.argv[1], sys.argv[1:])' \
    "$venv/airflow" "$name" ${extra[@]+"${extra[@]}"} </dev/null >"$log_dir/$name.log" 2>&1 &
  echo $! >"$run_dir/$name.pid"
}

# stopping is SIGTERM to each component (a scheduler lets running tasks finish first) and, after
# the timeout, SIGKILL to whatever is left of its session
signal_component() {
  local name="$1" pid_file="$run_dir/$1.pid" pid leader
  [ -f "$pid_file" ] || return 0
  pid="$(cat "$pid_file")"
  leader="$(component_pid "$name")"
  # without its leader, a session of that number can only be the rest of ours: the number is
  # not given to a new process while a session still carries it
  if [ -z "$leader" ] && [ "$(ps -o sid= -p "$pid" 2>/dev/null | tr -d ' ')" = "$pid" ]; then
    echo "$name: pid $pid is no longer airflow; leaving it alone" >&2
    rm -f "$pid_file"
    return
  fi
  if [ -z "$(session_pids "$pid")" ]; then
    rm -f "$pid_file"
    return
  fi
  echo "$name: stopping (pid $pid)"
  if [ -n "$leader" ]; then
    kill -TERM "$leader" 2>/dev/null || true
  else
    # shellcheck disable=SC2046  # one pid per word
    kill -TERM $(session_pids "$pid") 2>/dev/null || true
  fi
}

await_component() {
  local name="$1" pid_file="$run_dir/$1.pid" deadline="$2" pid pids
  [ -f "$pid_file" ] || return 0
  pid="$(cat "$pid_file")"
  while [ -n "$(session_pids "$pid")" ] && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
  pids="$(session_pids "$pid")"
  if [ -n "$pids" ]; then
    echo "$name: did not stop in time; killing it" >&2
    # shellcheck disable=SC2086  # one pid per word
    kill -KILL $pids 2>/dev/null || true
  fi
  rm -f "$pid_file"
}

# the api-server last: the tasks a stopping scheduler lets finish report to it
stop_all() {
  local deadline=$((SECONDS + ${HOTLINE_AIRFLOW_STOP_TIMEOUT:-60})) name
  for name in scheduler dag-processor triggerer; do signal_component "$name"; done
  for name in scheduler dag-processor triggerer; do await_component "$name" "$deadline"; done
  signal_component api-server
  await_component api-server $((SECONDS + 30))
}

api_ready() {
  "$venv/python" - "$ui/api/v2/monitor/health" <<'PYTHON' 2>/dev/null
import sys
import urllib.request

with urllib.request.urlopen(sys.argv[1], timeout=2) as response:
    sys.exit(0 if response.status == 200 else 1)
PYTHON
}

# every component still running; reports the first one that is not (with the end of its log)
all_running() {
  local name
  for name in "${components[@]}"; do
    if [ -z "$(component_pid "$name")" ]; then
      echo "$name did not start; the end of $log_dir/$name.log:" >&2
      tail -n 20 "$log_dir/$name.log" >&2
      return 1
    fi
  done
}

start() {
  mkdir -p "$run_dir" "$log_dir"
  if [ -z "$(component_pid api-server)" ] && api_ready; then
    echo "something else answers on $ui already (another Airflow?); set HOTLINE_AIRFLOW_PORT" >&2
    exit 1
  fi
  echo "metadata database: airflow db migrate ($AIRFLOW_HOME/airflow.db)"
  migrate
  for name in "${components[@]}"; do start_component "$name"; done
  # the api-server answers last: it loads the UI; a component that dies on the way is reported
  local waited=0
  until api_ready; do
    all_running || { stop_all; exit 1; }
    if [ "$waited" -ge 120 ]; then
      echo "the api-server did not answer on $ui within 120s; see $log_dir/api-server.log" >&2
      stop_all
      exit 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
  all_running || { stop_all; exit 1; }
  echo "Airflow is running (parallelism $AIRFLOW__CORE__PARALLELISM, executor $AIRFLOW__CORE__EXECUTOR)"
  echo "  UI and REST API: $ui (bound to $host)"
  echo "  log in as admin; the generated password is in $password_file"
  echo "  component logs: $log_dir; task logs: $AIRFLOW_HOME/logs"
  echo "  stop with: scripts/airflow.sh stop (or make airflow-stop)"
}

# the compose stack's one-off: every other container starts after it succeeded
init() {
  migrate
  if [ -n "${HOTLINE_AIRFLOW_ADMIN_PASSWORD:-}" ]; then
    # the simple auth manager keeps {user: password} here and generates only missing entries
    "$venv/python" - "$password_file" <<'PYTHON'
import json
import os
import sys

with open(sys.argv[1], "w", encoding="utf-8") as file:
    json.dump({"admin": os.environ["HOTLINE_AIRFLOW_ADMIN_PASSWORD"]}, file)
os.chmod(sys.argv[1], 0o600)
PYTHON
    echo "Airflow admin password set from HOTLINE_AIRFLOW_ADMIN_PASSWORD"
  fi
  echo "metadata database migrated; pool warehouse_writes ready"
}

status() {
  local name pid all=0
  for name in "${components[@]}"; do
    pid="$(component_pid "$name")"
    if [ -n "$pid" ]; then
      printf '%-14s running (pid %s)\n' "$name" "$pid"
    else
      printf '%-14s stopped\n' "$name"
      all=1
    fi
  done
  if api_ready; then echo "UI and REST API: $ui"; else echo "no api-server answering on $ui"; fi
  echo "component logs: $log_dir"
  return "$all"
}

case "${1:-}" in
  start) start ;;
  stop) stop_all ;;
  status) status ;;
  init) init ;;
  *)
    # first use of the SQLite default: create it and the one-slot pool for warehouse writers
    # (a database server is migrated by `init`, as the compose stack's airflow-init does)
    if [[ "$AIRFLOW__DATABASE__SQL_ALCHEMY_CONN" == sqlite:* ]] && [ ! -f "$AIRFLOW_HOME/airflow.db" ]; then
      migrate
    fi
    exec "$venv/airflow" "$@"
    ;;
esac
