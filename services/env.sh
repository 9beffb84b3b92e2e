# Shared settings for the service scripts. Every value can be overridden from
# the environment so that several stacks can coexist on one machine.
TJ_ROOT="${TJ_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
TJ_RUN_DIR="${TJ_RUN_DIR:-$TJ_ROOT/.run}"
TJ_LOG_DIR="${TJ_LOG_DIR:-$TJ_RUN_DIR/logs}"

CKAN_VERSION="${CKAN_VERSION:-2.11.6}"
if [ "$CKAN_VERSION" = "2.11.6" ]; then
  TJ_VENV="${TJ_VENV:-$TJ_ROOT/.venv}"
else
  TJ_VENV="${TJ_VENV:-$TJ_ROOT/.venv-$CKAN_VERSION}"
fi

PG_PORT="${PG_PORT:-5432}"
REDIS_PORT="${REDIS_PORT:-6379}"
SOLR_PORT="${SOLR_PORT:-8983}"
CKAN_PORT="${CKAN_PORT:-5000}"
SOLR_HEAP="${SOLR_HEAP:-1g}"

PG_USER=ckan_default
PG_PASSWORD=pass
# name:configset pairs; "tjregistry" is this project's schema, "stock" CKAN's own.
SOLR_CORES="${SOLR_CORES:-ckan:tjregistry ckan_test:tjregistry bench_stock:stock bench_tj:tjregistry}"
PG_DATABASES="${PG_DATABASES:-tjregistry tjregistry_test bench_stock bench_tj}"

export TJ_ROOT TJ_RUN_DIR TJ_LOG_DIR CKAN_VERSION TJ_VENV PG_PORT REDIS_PORT SOLR_PORT CKAN_PORT
