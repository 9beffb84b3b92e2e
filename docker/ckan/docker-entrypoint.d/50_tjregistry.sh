# Sourced by the base image's start_ckan.sh after its prerun.py (which waits for the
# database, runs `ckan db init` and creates the first sysadmin), before uWSGI starts.
# A failure here stops the container instead of serving a half-migrated site.

# shellcheck source=docker/ckan/setup/require-env.sh
. "${APP_DIR:-/srv/app}/tjregistry/require-env.sh"
tjregistry_check_env || exit 1

echo "[tjregistry] applying database migrations"
ckan -c "$CKAN_INI" db upgrade || exit 1
# Plugin migrations by name: `db upgrade` alone skips a plugin that has none applied yet.
for tjregistry_plugin in activity tjregistry; do
  ckan -c "$CKAN_INI" db upgrade -p "$tjregistry_plugin" || exit 1
done
unset tjregistry_plugin

# A new or emptied Solr volume is refilled from the database.
echo "[tjregistry] indexing datasets missing from Solr"
ckan -c "$CKAN_INI" search-index rebuild --only-missing --quiet || exit 1
