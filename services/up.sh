#!/usr/bin/env bash
# Brings up the whole platform with demo data on 127.0.0.1:$CKAN_PORT.
# Idempotent: a second run only checks that everything is up.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$TJ_ROOT"

bash services/stack.sh install
bash services/stack.sh start

CKAN_INI_FILE="$TJ_RUN_DIR/ckan.ini"
CKAN="$TJ_VENV/bin/ckan"
log() { printf '[up] %s\n' "$*" >&2; }

if [ ! -f "$CKAN_INI_FILE" ]; then
  log "generating $CKAN_INI_FILE"
  "$CKAN" generate config "$CKAN_INI_FILE" >/dev/null
fi
# Applied on every run so that changed ports or options reach the file.
"$CKAN" config-tool "$CKAN_INI_FILE" -f "$TJ_ROOT/services/ckan-dev.ini" >/dev/null
"$CKAN" config-tool "$CKAN_INI_FILE" \
  "sqlalchemy.url=postgresql://ckan_default:pass@127.0.0.1:$PG_PORT/tjregistry" \
  "solr_url=http://127.0.0.1:$SOLR_PORT/solr/ckan" \
  "ckan.redis.url=redis://127.0.0.1:$REDIS_PORT/0" \
  "ckan.site_url=http://127.0.0.1:$CKAN_PORT" \
  "ckanext.dcat.base_uri=http://127.0.0.1:$CKAN_PORT" \
  "ckan.storage_path=$TJ_RUN_DIR/storage" >/dev/null
"$CKAN" config-tool "$CKAN_INI_FILE" -s logger_ckanext "level=INFO" >/dev/null
mkdir -p "$TJ_RUN_DIR/storage"
export CKAN_INI="$CKAN_INI_FILE"

log "migrating the database"
"$CKAN" db init >"$TJ_LOG_DIR/db-init.log" 2>&1 || { tail -30 "$TJ_LOG_DIR/db-init.log"; exit 1; }
"$CKAN" db upgrade -p tjregistry >>"$TJ_LOG_DIR/db-init.log" 2>&1 || { tail -30 "$TJ_LOG_DIR/db-init.log"; exit 1; }
# A Solr core rebuilt from scratch (fresh .run/solr) is refilled from the database.
"$CKAN" search-index rebuild --only-missing --quiet >>"$TJ_LOG_DIR/db-init.log" 2>&1

log "loading demo data"
"$CKAN" tjregistry demo load

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

if ! pid_alive "$TJ_RUN_DIR/worker.pid"; then
  log "starting the background worker"
  setsid "$CKAN" jobs worker >"$TJ_LOG_DIR/worker.log" 2>&1 </dev/null &
  echo $! >"$TJ_RUN_DIR/worker.pid"
fi

# Queues the end-of-publicity sweep at the end of every working day; the worker runs it.
if ! pid_alive "$TJ_RUN_DIR/scheduler.pid"; then
  log "starting the publicity scheduler"
  setsid "$CKAN" tjregistry workflow scheduler --heartbeat "$TJ_RUN_DIR/scheduler.alive" \
    >"$TJ_LOG_DIR/scheduler.log" 2>&1 </dev/null &
  echo $! >"$TJ_RUN_DIR/scheduler.pid"
fi

STATUS_URL="http://127.0.0.1:$CKAN_PORT/api/3/action/status_show"
if ! pid_alive "$TJ_RUN_DIR/ckan.pid"; then
  log "starting CKAN on 127.0.0.1:$CKAN_PORT"
  # No Werkzeug debugger: a server error shows the platform's error page, never a trace.
  setsid "$CKAN" run --host 127.0.0.1 --port "$CKAN_PORT" --disable-reloader --disable-debugger \
    --threaded \
    >"$TJ_LOG_DIR/ckan.log" 2>&1 </dev/null &
  echo $! >"$TJ_RUN_DIR/ckan.pid"
fi
for _ in $(seq 1 120); do
  curl -fsS -o /dev/null "$STATUS_URL" 2>/dev/null && break
  pid_alive "$TJ_RUN_DIR/ckan.pid" || { tail -30 "$TJ_LOG_DIR/ckan.log"; exit 1; }
  sleep 0.5
done
curl -fsS -o /dev/null "$STATUS_URL" || { tail -30 "$TJ_LOG_DIR/ckan.log"; exit 1; }

cat <<MSG

  天津市公共数据资源登记平台 is up:  http://127.0.0.1:$CKAN_PORT
  Solr:  http://127.0.0.1:$SOLR_PORT/solr/ckan      logs: $TJ_LOG_DIR

  Demo logins (password: $(sed -n 's/^tjregistry.demo.password *= *//p' "$CKAN_INI_FILE"))
    tj_admin          sysadmin
    reviewer_city     市级登记机构 (天津市数据发展中心) reviewer
    reviewer_hp       和平区登记机构 reviewer
    reviewer_city_2, reviewer_hp_2   second reviewers (four eyes: who accepted does not approve)
    transport_clerk   天津市交通运输委员会 registrant
    hp_edu_clerk      和平区教育局 registrant
    operator_clerk    天津数据运营有限公司 (authorised operator)

  Stop everything with: make down
MSG
