#!/bin/bash
# Command of the scheduler service: queues the end-of-publicity sweep at the end of every
# working day (ckan tjregistry workflow scheduler); the ckan-worker service runs it.
# The web container has applied the migrations before this one starts (depends_on).
set -euo pipefail
cd "${APP_DIR:-/srv/app}"

# shellcheck source=docker/ckan/setup/require-env.sh
. ./tjregistry/require-env.sh
tjregistry_check_env

# The plugin list may have been overridden in .env; the scheduler loads it from ckan.ini.
ckan config-tool "$CKAN_INI" "ckan.plugins = ${CKAN__PLUGINS}"
exec ckan -c "$CKAN_INI" tjregistry workflow scheduler --heartbeat /tmp/tjregistry-scheduler.alive
