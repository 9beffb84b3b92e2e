#!/usr/bin/env bash
# Brings the platform's services up and down without systemd.
#
#   services/stack.sh install      system packages, Solr build, Python venv (idempotent)
#   services/stack.sh start        PostgreSQL, Redis, Solr (each only if not running)
#   services/stack.sh stop         stops everything started from this run directory
#   services/stack.sh status
#   services/stack.sh ensure-core NAME [CONFIGSET] | ensure-db NAME
#
# State and logs live in $TJ_RUN_DIR (default .run/, git-ignored).
set -euo pipefail
# shellcheck source=services/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

log() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] ERROR: %s\n' "$*" >&2; exit 1; }

PG_BIN=/usr/lib/postgresql/15/bin
PG_DATA="$TJ_RUN_DIR/postgres/data"
PG_SOCKET="$TJ_RUN_DIR/postgres/socket"
REDIS_DIR="$TJ_RUN_DIR/redis"
SOLR_SRC="$TJ_ROOT/services/solr"
SOLR_HOME="$TJ_RUN_DIR/solr/home"
SOLR_PIDFILE="$TJ_RUN_DIR/solr/solr.pid"

SYSTEM_PACKAGES=(
  postgresql-15 postgresql-contrib redis-server
  libpq-dev build-essential python3-dev python3-venv libmagic1
  openjdk-17-jdk-headless maven curl
  fonts-noto-cjk
  chromium chromium-driver
)

as_postgres() {
  # PostgreSQL refuses to run as root; run its tools as the postgres user.
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# ---------------------------------------------------------------- install ---
install_system() {
  local missing=()
  for p in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" \
      >"$TJ_LOG_DIR/apt.log" 2>&1 || { tail -20 "$TJ_LOG_DIR/apt.log"; die "apt-get install failed"; }
  fi
}

install_solr() {
  local stamp="$SOLR_SRC/target/.built"
  if [ -f "$stamp" ] && [ "$stamp" -nt "$SOLR_SRC/pom.xml" ] \
     && [ -z "$(find "$SOLR_SRC/src" -newer "$stamp" -type f | head -1)" ]; then
    return
  fi
  log "building the Solr launcher (first run downloads Solr from Maven Central)"
  mvn -B -q -f "$SOLR_SRC/pom.xml" package -DskipTests >"$TJ_LOG_DIR/maven.log" 2>&1 \
    || { tail -30 "$TJ_LOG_DIR/maven.log"; die "maven build failed"; }
  touch "$stamp"
}

install_venv() {
  local stamp="$TJ_VENV/.tjregistry-installed"
  local want
  want="$CKAN_VERSION $(cat "$TJ_ROOT/requirements.txt" "$TJ_ROOT/requirements-dev.txt" "$TJ_ROOT/setup.py" | sha256sum | cut -c1-16)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return
  fi
  log "installing CKAN $CKAN_VERSION and the extension into $TJ_VENV"
  [ -x "$TJ_VENV/bin/python" ] || python3 -m venv "$TJ_VENV"
  {
    "$TJ_VENV/bin/pip" install -q --upgrade pip wheel "setuptools<81"
    "$TJ_VENV/bin/pip" install -q "ckan[requirements]==$CKAN_VERSION"
    "$TJ_VENV/bin/pip" install -q -r "$TJ_ROOT/requirements.txt" -r "$TJ_ROOT/requirements-dev.txt"
    "$TJ_VENV/bin/pip" install -q --no-deps -e "$TJ_ROOT"
  } >"$TJ_LOG_DIR/pip-$CKAN_VERSION.log" 2>&1 || { tail -30 "$TJ_LOG_DIR/pip-$CKAN_VERSION.log"; die "pip install failed"; }
  echo "$want" >"$stamp"
}

# --------------------------------------------------------------- postgres ---
pg_running() { [ -f "$PG_DATA/postmaster.pid" ] && as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; }

start_postgres() {
  mkdir -p "$PG_SOCKET" "$(dirname "$PG_DATA")"
  chown -R postgres: "$TJ_RUN_DIR/postgres" 2>/dev/null || true
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    log "initialising PostgreSQL cluster in $PG_DATA"
    as_postgres "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -E UTF8 --locale=C.UTF-8 --auth=trust >"$TJ_LOG_DIR/initdb.log" 2>&1
  fi
  if ! pg_running; then
    log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
    touch "$TJ_LOG_DIR/postgres.log"; chown postgres: "$TJ_LOG_DIR/postgres.log"
    as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$TJ_LOG_DIR/postgres.log" -w -t 60 \
      -o "-p $PG_PORT -k $PG_SOCKET -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" start >/dev/null
  fi
  # The platform's role owns its databases and nothing more, as in production (docker/):
  # no superuser, no CREATEDB or CREATEROLE. Databases are created by the postgres role.
  psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname='$PG_USER'" | grep -q 1 \
    || psql_admin -c "CREATE ROLE $PG_USER LOGIN PASSWORD '$PG_PASSWORD'" >/dev/null
  psql_admin -c "ALTER ROLE $PG_USER NOSUPERUSER NOCREATEDB NOCREATEROLE" >/dev/null
  for db in $PG_DATABASES; do ensure_db "$db"; done
}

psql_admin() { as_postgres psql -X -q -h "$PG_SOCKET" -p "$PG_PORT" -U postgres -d postgres "$@"; }

stop_postgres() {
  if pg_running; then log "stopping PostgreSQL"; as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null; fi
}

# ------------------------------------------------------------------ redis ---
redis_running() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

start_redis() {
  mkdir -p "$REDIS_DIR"
  if redis_running; then return; fi
  log "starting Redis on 127.0.0.1:$REDIS_PORT"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$REDIS_DIR" --save "" --appendonly no \
    --daemonize yes --pidfile "$REDIS_DIR/redis.pid" --logfile "$TJ_LOG_DIR/redis.log"
  wait_for "Redis" 30 redis_running
}

stop_redis() {
  if [ -f "$REDIS_DIR/redis.pid" ] && kill -0 "$(cat "$REDIS_DIR/redis.pid")" 2>/dev/null; then
    log "stopping Redis"; redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || kill "$(cat "$REDIS_DIR/redis.pid")"
  fi
  rm -f "$REDIS_DIR/redis.pid"
}

# ------------------------------------------------------------------- solr ---
solr_pid_alive() { [ -f "$SOLR_PIDFILE" ] && kill -0 "$(cat "$SOLR_PIDFILE")" 2>/dev/null; }
solr_core_ready() { curl -fsS -o /dev/null "http://127.0.0.1:$SOLR_PORT/solr/$1/admin/ping?wt=json" 2>/dev/null; }
solr_all_ready() {
  local entry
  for entry in $SOLR_CORES; do solr_core_ready "${entry%%:*}" || return 1; done
}

# A digest of everything that shapes the cores; a change restarts Solr.
solr_config_digest() {
  { find "$SOLR_SRC/configsets" -type f -print0 | sort -z | xargs -0 cat; echo "$SOLR_CORES"; } | sha256sum | cut -c1-16
}

prepare_solr_home() {
  local stock_schema="$TJ_VENV/lib/python3.11/site-packages/ckan/config/solr/schema.xml"
  rm -rf "$SOLR_HOME"; mkdir -p "$SOLR_HOME"
  cp "$SOLR_SRC/solr.xml" "$SOLR_HOME/solr.xml"
  local entry core configset conf
  for entry in $SOLR_CORES; do
    core="${entry%%:*}"; configset="${entry#*:}"
    conf="$SOLR_HOME/$core/conf"; mkdir -p "$conf"
    cp "$SOLR_SRC/configsets/common/"* "$conf/"
    if [ "$configset" = stock ]; then
      # The unmodified schema of the installed CKAN: the baseline for benchmarks.
      [ -f "$stock_schema" ] || die "CKAN's schema.xml not found at $stock_schema"
      cp "$stock_schema" "$conf/schema.xml"
    else
      cp "$SOLR_SRC/configsets/$configset/"* "$conf/"
    fi
    printf 'name=%s\n' "$core" >"$SOLR_HOME/$core/core.properties"
    # Index data survives restarts; only the configuration is rewritten.
    mkdir -p "$TJ_RUN_DIR/solr/data/$core"
    printf 'dataDir=%s\n' "$TJ_RUN_DIR/solr/data/$core" >>"$SOLR_HOME/$core/core.properties"
  done
}

start_solr() {
  local digest; digest="$(solr_config_digest)"
  mkdir -p "$TJ_RUN_DIR/solr"
  if solr_pid_alive; then
    if [ "$(cat "$TJ_RUN_DIR/solr/digest" 2>/dev/null)" = "$digest" ] && solr_all_ready; then return; fi
    log "Solr configuration changed; restarting"
    stop_solr
  fi
  prepare_solr_home
  echo "$digest" >"$TJ_RUN_DIR/solr/digest"
  log "starting Solr on 127.0.0.1:$SOLR_PORT (cores: $SOLR_CORES)"
  rm -f "$TJ_RUN_DIR/solr/ready"
  # setsid: Solr outlives the calling shell and ignores its job-control signals.
  setsid java -Xms256m "-Xmx$SOLR_HEAP" -XX:+UseSerialGC \
    -Dlog4j2.configurationFile="$SOLR_SRC/log4j2.xml" -Dtj.solr.logdir="$TJ_LOG_DIR" \
    -Dsolr.log.dir="$TJ_LOG_DIR" -Dhost=127.0.0.1 -Djetty.host=127.0.0.1 \
    -DdisableAdminUI=true \
    -cp "$SOLR_SRC/target/classes:$SOLR_SRC/target/lib/*" org.tjregistry.solr.SolrServer \
    "$SOLR_HOME" "$SOLR_PORT" "$TJ_RUN_DIR/solr/ready" \
    >"$TJ_LOG_DIR/solr-console.log" 2>&1 </dev/null &
  echo $! >"$SOLR_PIDFILE"
  wait_for "Solr" 120 solr_all_ready || { tail -40 "$TJ_LOG_DIR/solr-console.log"; die "Solr did not become ready"; }
}

stop_solr() {
  if solr_pid_alive; then
    local pid; pid="$(cat "$SOLR_PIDFILE")"
    log "stopping Solr (pid $pid)"
    kill "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  fi
  rm -f "$SOLR_PIDFILE"
}

# A core created at run time (e.g. a separate test core for a parallel run);
# it lives until the next Solr configuration change rewrites the Solr home.
ensure_core() {
  local core="$1" configset="${2:-tjregistry}"
  solr_core_ready "$core" && return
  local dir="$SOLR_HOME/$core"
  mkdir -p "$dir/conf" "$TJ_RUN_DIR/solr/data/$core"
  cp "$SOLR_SRC/configsets/common/"* "$SOLR_SRC/configsets/$configset/"* "$dir/conf/"
  rm -f "$dir/core.properties"
  curl -fsS -o /dev/null -G "http://127.0.0.1:$SOLR_PORT/solr/admin/cores" \
    --data-urlencode action=CREATE --data-urlencode "name=$core" \
    --data-urlencode "instanceDir=$dir" --data-urlencode "dataDir=$TJ_RUN_DIR/solr/data/$core" \
    || die "could not create Solr core $core"
  log "created Solr core $core"
}

ensure_db() {
  local db="$1"
  psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1 \
    || { log "creating database $db"; psql_admin -c "CREATE DATABASE $db OWNER $PG_USER ENCODING 'UTF8' TEMPLATE template0" >/dev/null; }
}

# ----------------------------------------------------------------- common ---
wait_for() {
  local what="$1" seconds="$2"; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    [ $SECONDS -lt $deadline ] || { log "$what not ready after ${seconds}s"; return 1; }
    sleep 0.5
  done
  log "$what ready"
}

status() {
  pg_running && echo "postgres: running (port $PG_PORT)" || echo "postgres: stopped"
  redis_running && echo "redis: running (port $REDIS_PORT)" || echo "redis: stopped"
  solr_pid_alive && echo "solr: running (port $SOLR_PORT, pid $(cat "$SOLR_PIDFILE"))" || echo "solr: stopped"
}

mkdir -p "$TJ_RUN_DIR" "$TJ_LOG_DIR"
case "${1:-}" in
  install) install_system; install_solr; install_venv ;;
  start) start_postgres; start_redis; start_solr ;;
  stop) stop_solr; stop_redis; stop_postgres ;;
  status) status ;;
  ensure-core) ensure_core "$2" "${3:-tjregistry}" ;;
  ensure-db) ensure_db "$2" ;;
  *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac
