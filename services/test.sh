#!/usr/bin/env bash
# Runs the test suite against the real stack, starting whatever is not running.
#   services/test.sh [pytest args...]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$TJ_ROOT"

bash services/stack.sh install
bash services/stack.sh start
# TJ_TEST_DB / TJ_TEST_CORE give a parallel run its own database and Solr core.
TJ_TEST_DB="${TJ_TEST_DB:-tjregistry_test}"
TJ_TEST_CORE="${TJ_TEST_CORE:-ckan_test}"
TJ_TEST_REDIS_DB="${TJ_TEST_REDIS_DB:-1}"
bash services/stack.sh ensure-db "$TJ_TEST_DB"
bash services/stack.sh ensure-core "$TJ_TEST_CORE"

export CKAN_SQLALCHEMY_URL="postgresql://ckan_default:pass@127.0.0.1:$PG_PORT/$TJ_TEST_DB"
export CKAN_SOLR_URL="http://127.0.0.1:$SOLR_PORT/solr/$TJ_TEST_CORE"
export CKAN_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/$TJ_TEST_REDIS_DB"
export CKAN_INI="$TJ_ROOT/test.ini"
# The few tests that play the database administrator (docker's init script) use this.
export TJ_PG_ADMIN_URL="postgresql://postgres@127.0.0.1:$PG_PORT/postgres"
export CKAN_STORAGE_PATH="$TJ_RUN_DIR/test-storage/$TJ_TEST_DB"
mkdir -p "$CKAN_STORAGE_PATH"

"$TJ_VENV/bin/ckan" -c test.ini db init >"$TJ_LOG_DIR/test-db-init-$TJ_TEST_DB.log" 2>&1 \
  || { tail -30 "$TJ_LOG_DIR/test-db-init-$TJ_TEST_DB.log"; exit 1; }

# The architecture's layers (pyproject.toml [tool.importlinter]): an upward import fails the run.
"$TJ_VENV/bin/lint-imports" --no-cache >"$TJ_LOG_DIR/lint-imports.log" 2>&1 \
  || { cat "$TJ_LOG_DIR/lint-imports.log"; exit 1; }
echo "[test] import layers kept (lint-imports)"
echo "[test] CKAN $("$TJ_VENV/bin/python" -c 'import ckan; print(ckan.__version__)'), Solr core $CKAN_SOLR_URL"
pytest_command=("$TJ_VENV/bin/pytest" --ckan-ini=test.ini "${@:-ckanext/tjregistry/tests}")

# TJ_TEST_CLOCK runs every Python process of the test run (pytest, the `ckan run` servers
# and `ckan` commands it starts) on a wall clock moved to the given moment, which then
# runs on: e.g. TJ_TEST_CLOCK="2027-02-08 10:00 +08:00". See services/clock/.
# PostgreSQL, Redis and Solr keep the real clock.
if [ -n "${TJ_TEST_CLOCK:-}" ]; then
  clock_start="$(date -u -d "$TJ_TEST_CLOCK" +%s)" \
    || { echo "[test] TJ_TEST_CLOCK=$TJ_TEST_CLOCK is not a date that date(1) understands" >&2; exit 1; }
  export TJ_TEST_CLOCK_OFFSET=$((clock_start - $(date -u +%s)))
  export PYTHONPATH="$TJ_ROOT/services/clock${PYTHONPATH:+:$PYTHONPATH}"
  echo "[test] clock moved to $(TZ=Asia/Shanghai date -d "@$clock_start" '+%Y-%m-%d %H:%M %a') in Tianjin ($(date -u -d "@$clock_start" '+%Y-%m-%d %H:%M') UTC)"
fi
exec "${pytest_command[@]}"
