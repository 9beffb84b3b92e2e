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
export CKAN_STORAGE_PATH="$TJ_RUN_DIR/test-storage/$TJ_TEST_DB"
mkdir -p "$CKAN_STORAGE_PATH"

"$TJ_VENV/bin/ckan" -c test.ini db init >"$TJ_LOG_DIR/test-db-init-$TJ_TEST_DB.log" 2>&1 \
  || { tail -30 "$TJ_LOG_DIR/test-db-init-$TJ_TEST_DB.log"; exit 1; }

echo "[test] CKAN $("$TJ_VENV/bin/python" -c 'import ckan; print(ckan.__version__)'), Solr core $CKAN_SOLR_URL"
exec "$TJ_VENV/bin/pytest" --ckan-ini=test.ini "${@:-ckanext/tjregistry/tests}"
