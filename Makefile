# 歷程 Licheng. `make help` lists the targets; CI runs `make test` (through .ci/run).
SHELL := /bin/bash
VENV := var/venv
PY := $(VENV)/bin/python

.DEFAULT_GOAL := help
.PHONY: help install up down status test lint unit chaos sweep bench rush backup restore purge compose-check clean-var seed-school

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.lock
	@deploy/native/python-env.sh
	@touch $@

install: $(VENV)/.installed ## Install what is missing (Python env, Debian packages, Go-built servers)
	@deploy/native/infra.sh install

up: install ## Start everything, seed a demo district, print the URL and logins (Ctrl-C stops)
	@deploy/native/secrets.sh
	@deploy/native/infra.sh up
	@deploy/native/app.sh run

down: ## Stop everything that `make up` or `make test` started (data is kept)
	@deploy/native/app.sh stop || true
	@deploy/native/cluster.sh down || true
	@deploy/native/infra.sh down

status: ## Show what is running
	@deploy/native/infra.sh status
	@deploy/native/app.sh status

test: install ## Install, start the servers (or reuse running ones), lint, run the whole suite
	@deploy/native/browser.sh
	@tests/run.sh

lint: $(VENV)/.installed ## ruff
	@$(VENV)/bin/ruff check .

unit: $(VENV)/.installed ## Only the tests that need no server (marked `unit`: domain rules, shared code, deploy files)
	@$(PY) -m pytest -m unit tests

chaos: install ## Fault suite on a 3-node RabbitMQ cluster and replicated SeaweedFS (deploy/native/cluster.sh); var/chaos/*.json
	@deploy/native/infra.sh up
	@deploy/native/cluster.sh up
	@eval "$$(deploy/native/infra.sh env)" && LICHENG_CHAOS_FULL=1 PYTHONPATH=$(CURDIR) $(PY) -m pytest tests/chaos -q -s

sweep: install ## Every page as every role that may open it, at 1366 and 360 px (make test visits each page once)
	@deploy/native/browser.sh
	@deploy/native/infra.sh up
	@eval "$$(deploy/native/infra.sh env)" && LICHENG_SWEEP_FULL=1 PYTHONPATH=$(CURDIR) $(PY) -m pytest tests/web/test_page_sweep.py -q

backup: install ## Back up every database and object version to var/backups (verified, recorded)
	@deploy/native/infra.sh up >/dev/null
	@. var/secrets.env && eval "$$(deploy/native/infra.sh env)" && PYTHONPATH=$(CURDIR) $(PY) -m services.backup backup

restore: install ## Restore a backup into an empty system: make restore BACKUP=<id> [FORCE=1]
	@deploy/native/infra.sh up >/dev/null
	@. var/secrets.env && eval "$$(deploy/native/infra.sh env)" && PYTHONPATH=$(CURDIR) $(PY) -m services.backup restore $(BACKUP) $(if $(FORCE),--force)

purge: install ## Archive retention purge, a dry run unless RUN=1: make purge SCHOOL=<code> [RUN=1] (services must run)
	@. var/secrets.env && eval "$$(deploy/native/infra.sh env)" && PYTHONPATH=$(CURDIR) $(PY) -m services.backup purge $(SCHOOL) $(if $(RUN),--run)

seed-school: install ## A 2,000-student school (60 classes, 900 courses, 30,000 grades) through the API of `make up`'s system; ARGS="--students 120 --classes 4"
	@. var/secrets.env && eval "$$(deploy/native/infra.sh env)" && PYTHONPATH=$(CURDIR) $(PY) deploy/seed_school.py $(ARGS)

compose-check: ## Validate docker-compose.yml (docker compose config, or a YAML check)
	@deploy/compose-check.sh

clean-var: down ## Remove all local data and builds under var/ (asks nothing: careful)
	rm -rf var

bench: install ## Run the benchmarks against an isolated system; results in var/bench/*.json
	@deploy/native/browser.sh
	@deploy/native/infra.sh up
	@eval "$$(deploy/native/infra.sh env)" && PYTHONPATH=$(CURDIR) $(PY) -m tests.bench.run $(BENCH)

rush: install ## Deadline rush + audit, then the capacity search; own system, or ARGS="--running"; var/bench/rush-*.json (ARGS="--capacity-only", "--no-capacity")
	@deploy/native/infra.sh up
	@eval "$$(deploy/native/infra.sh env)" && . var/secrets.env && PYTHONPATH=$(CURDIR) $(PY) -m tests.load $(ARGS)
