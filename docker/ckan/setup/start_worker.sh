#!/bin/bash
# Command of the ckan-worker service: CKAN's background job worker (RQ on Redis).
# The web container has applied the migrations before this one starts (depends_on).
set -euo pipefail
cd "${APP_DIR:-/srv/app}"

# shellcheck source=docker/ckan/setup/require-env.sh
. ./tjregistry/require-env.sh
tjregistry_check_env

# The plugin list may have been overridden in .env; the worker loads it from ckan.ini.
ckan config-tool "$CKAN_INI" "ckan.plugins = ${CKAN__PLUGINS}"
exec ckan -c "$CKAN_INI" jobs worker
