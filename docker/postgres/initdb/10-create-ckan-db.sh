#!/bin/bash
# Run by the official postgres image on the first start (empty data volume): creates the
# login role and the database CKAN uses. Names and password come from docker/.env.
set -euo pipefail
: "${CKAN_DB_USER:?}" "${CKAN_DB_PASSWORD:?}" "${CKAN_DB:?}"

# psql variables quote the values (:"name" for identifiers, :'value' for literals).
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "${POSTGRES_DB:-$POSTGRES_USER}" \
  -v ckan_user="$CKAN_DB_USER" -v ckan_password="$CKAN_DB_PASSWORD" -v ckan_db="$CKAN_DB" <<'SQL'
CREATE ROLE :"ckan_user" LOGIN PASSWORD :'ckan_password';
CREATE DATABASE :"ckan_db" OWNER :"ckan_user" ENCODING 'UTF8' TEMPLATE template0;
SQL
echo "[tjregistry] created role $CKAN_DB_USER and database $CKAN_DB"
