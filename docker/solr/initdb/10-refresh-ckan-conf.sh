# Sourced by the Solr image's run-initdb before Solr starts. solr-precreate copies the
# configset into the core only when the core does not exist yet, so a new image would
# leave an existing core on its old schema: copy the image's configuration over it.
# After an upgrade that changes schema.xml, reindex: `ckan search-index rebuild`.
tjregistry_core_conf=/var/solr/data/ckan/conf
if [ -d "$tjregistry_core_conf" ]; then
  rm -rf "$tjregistry_core_conf"
  cp -r "${SOLR_CONFIG_DIR:-/opt/solr/server/solr/configsets}/ckan/conf" "$tjregistry_core_conf"
  echo "[tjregistry] core ckan: configuration refreshed from the image"
fi
unset tjregistry_core_conf
