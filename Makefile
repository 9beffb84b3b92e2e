# ckanext-tjregistry: the two commands, and a few more.
SHELL := /bin/bash
.PHONY: up down test test-2.12 status lint bench

up:          ## install everything needed and bring up the platform with demo data on 127.0.0.1:5000
	bash services/up.sh

down:        ## stop CKAN, the worker, Solr, Redis and PostgreSQL
	bash services/down.sh

test:        ## run the test suite on the real stack (starts what it needs)
	bash services/test.sh $(ARGS)

test-2.12:   ## the same suite on CKAN 2.12.0 (own venv, same services)
	CKAN_VERSION=2.12.0 bash services/test.sh $(ARGS)

status:
	bash services/stack.sh status

lint:
	.venv/bin/ruff check ckanext bench

bench:       ## benchmarks (by hand, never in CI)
	bash bench/run.sh $(ARGS)
