#!/usr/bin/env bash
# Stops CKAN, the worker, the publicity scheduler and the services started by
# services/up.sh or services/test.sh.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

stop_pidfile() {
  local file="$1" what="$2"
  if [ -f "$file" ] && kill -0 "$(cat "$file")" 2>/dev/null; then
    printf '[down] stopping %s\n' "$what" >&2
    kill -- "-$(cat "$file")" 2>/dev/null || kill "$(cat "$file")"
    for _ in $(seq 1 40); do kill -0 "$(cat "$file")" 2>/dev/null || break; sleep 0.25; done
  fi
  rm -f "$file"
}
stop_pidfile "$TJ_RUN_DIR/ckan.pid" "CKAN"
stop_pidfile "$TJ_RUN_DIR/worker.pid" "worker"
stop_pidfile "$TJ_RUN_DIR/scheduler.pid" "publicity scheduler"
bash "$TJ_ROOT/services/stack.sh" stop
