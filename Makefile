# ckanext-tjregistry: the two commands, and a few more.
SHELL := /bin/bash
.PHONY: up down test test-clock test-2.12 status lint bench i18n

up:          ## install everything needed and bring up the platform with demo data on 127.0.0.1:5000
	bash services/up.sh

down:        ## stop CKAN, the worker, Solr, Redis and PostgreSQL
	bash services/down.sh

test:        ## run the test suite on the real stack (starts what it needs)
	bash services/test.sh $(ARGS)

test-clock:  ## the suite with the test process's clock set to DATE, e.g. make test-clock DATE="2027-02-08 10:00 +08:00"
	@test -n "$(DATE)" || { echo 'usage: make test-clock DATE="2027-02-08 10:00 +08:00" [ARGS=...]'; exit 2; }
	TJ_TEST_CLOCK="$(DATE)" bash services/test.sh $(ARGS)

test-2.12:   ## the same suite on CKAN 2.12.0 (own venv, same services)
	CKAN_VERSION=2.12.0 bash services/test.sh $(ARGS)

status:
	bash services/stack.sh status

lint:        ## ruff, and the architecture's import layers (import-linter)
	.venv/bin/ruff check ckanext bench
	.venv/bin/lint-imports --no-cache

bench:       ## benchmarks (by hand, never in CI)
	bash bench/run.sh $(ARGS)

i18n:        ## extract translatable strings, update the zh_Hans_CN catalogue, compile it
	.venv/bin/pybabel extract -F i18n/babel.cfg -k N_ --no-location --sort-output \
	  --copyright-holder="ckanext-tjregistry contributors" \
	  --project=ckanext-tjregistry -o i18n/ckanext-tjregistry.pot .
	.venv/bin/pybabel update -i i18n/ckanext-tjregistry.pot -d i18n -D ckanext-tjregistry \
	  -l zh_Hans_CN --no-fuzzy-matching --ignore-obsolete
	.venv/bin/python -c "from ckanext.tjregistry.i18n import compile_catalogues as c; c(only_stale=False)"
