#!/usr/bin/env bash
# Benchmarks stock CKAN (scheming + dcat) against CKAN with tjregistry (test.ini's plugins).
# Run by hand, never in CI:
#
#   make bench                      # N = 10000
#   make bench ARGS="-n 2000"       # any option of `bench.py run`
#
# Each configuration runs in its own process on its own database and Solr core
# (bench_stock: CKAN's schema.xml, bench_tj: this project's), both emptied first.
# Results: bench/results/<timestamp>/{stock,tj}.json and table.md.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../services/env.sh"
cd "$TJ_ROOT"

bash services/stack.sh install
bash services/stack.sh start

CKAN="$TJ_VENV/bin/ckan"
PYTHON="$TJ_VENV/bin/python"
OUT="bench/results/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"
log() { printf '[bench] %s\n' "$*" >&2; }

solr_url() { echo "http://127.0.0.1:$SOLR_PORT/solr/bench_$1"; }

# The core must serve exactly the given schema.xml (read back through Solr).
check_core() {
  local label="$1" schema="$2"
  curl -fsS "$(solr_url "$label")/admin/file?file=schema.xml&contentType=text/xml;charset=utf-8" \
    | cmp -s - "$schema" \
    || { log "Solr core bench_$label does not serve $schema (restart Solr with the default SOLR_CORES)"; exit 1; }
}

run_config() {
  local label="$1"; shift
  local ini="bench/$label.ini"
  export CKAN_SQLALCHEMY_URL="postgresql://ckan_default:pass@127.0.0.1:$PG_PORT/bench_$label"
  export CKAN_SOLR_URL; CKAN_SOLR_URL="$(solr_url "$label")"
  export CKAN_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/13"
  mkdir -p ".run/bench-storage/$label"

  log "$label: resetting database bench_$label and Solr core bench_$label"
  bash services/stack.sh ensure-db "bench_$label"
  curl -fsS -o /dev/null -H 'Content-Type: application/json' \
    --data '{"delete": {"query": "*:*"}, "commit": {}}' "$CKAN_SOLR_URL/update"
  {
    "$CKAN" -c "$ini" db clean --yes
    "$CKAN" -c "$ini" db init
    for plugin in $("$PYTHON" bench/bench.py migration-plugins "$ini"); do
      "$CKAN" -c "$ini" db upgrade -p "$plugin"
    done
  } >"$OUT/$label-reset.log" 2>&1 || { tail -30 "$OUT/$label-reset.log"; exit 1; }

  log "$label: loading and timing"
  "$PYTHON" bench/bench.py run --ini "$ini" --label "$label" --out "$OUT/$label.json" "$@"
}

check_core stock "$TJ_VENV/lib/python3.11/site-packages/ckan/config/solr/schema.xml"
check_core tj services/solr/configsets/tjregistry/schema.xml

started=$SECONDS
# tj first: if its schemas cannot be filled, the run stops before the long stock half.
run_config tj "$@"
run_config stock "$@"

"$PYTHON" bench/bench.py report "$OUT/stock.json" "$OUT/tj.json" | tee "$OUT/table.md"
log "total $(( (SECONDS - started) / 60 )) min; results in $OUT"
