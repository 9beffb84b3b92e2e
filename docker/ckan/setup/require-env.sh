# Checks the environment every container of this image needs, before CKAN starts.
# Sourced (bash) by docker-entrypoint.d/50_tjregistry.sh and start_worker.sh; returns
# non-zero with a message naming what is missing.

tjregistry_check_env() {
  local name missing=0
  for name in CKAN_SQLALCHEMY_URL CKAN_SOLR_URL CKAN_REDIS_URL CKAN_SITE_URL \
              CKAN___SECRET_KEY CKAN___WTF_CSRF_SECRET_KEY \
              CKAN___API_TOKEN__JWT__ENCODE__SECRET CKAN___API_TOKEN__JWT__DECODE__SECRET \
              CKAN___SCHEMING__DATASET_SCHEMAS CKAN___SCHEMING__ORGANIZATION_SCHEMAS \
              CKAN___SCHEMING__PRESETS; do
    if [ -z "${!name:-}" ]; then
      echo "[tjregistry] $name is not set (see docker/.env.example)" >&2
      missing=1
    fi
  done
  # Any setting still holding the example's placeholder (passwords, secrets, passphrase).
  for name in $(compgen -e); do
    if [[ "${!name}" == *change-me* ]]; then
      echo "[tjregistry] $name still has the example value \"change-me\"; set a real one" >&2
      missing=1
    fi
  done
  if [ "${CKAN___API_TOKEN__JWT__ENCODE__SECRET:-}" != "${CKAN___API_TOKEN__JWT__DECODE__SECRET:-}" ]; then
    echo "[tjregistry] the JWT encode and decode secrets differ; HS256 needs one secret" >&2
    missing=1
  fi
  case " ${CKAN__PLUGINS:-} " in
    *" tjregistry "*" envvars ") ;;
    *) echo "[tjregistry] CKAN__PLUGINS must contain tjregistry and end with envvars" >&2
       missing=1 ;;
  esac
  return "$missing"
}
