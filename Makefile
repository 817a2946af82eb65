# The two commands: `make run` (set up and start the app with demo data) and
# `make test` (install test tools and run everything against PostgreSQL and Redis).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Label Studio (the interop tests' real server) in its own venv: its pins clash with ours.
LS_VENV := .venv-labelstudio
HOST ?= 127.0.0.1
PORT ?= 8000
TEST_DATABASE_URL ?= $(if $(DATABASE_URL),$(DATABASE_URL),postgres://postgres@127.0.0.1:5432/jwo_review)
TEST_REDIS_URL ?= $(if $(REDIS_URL),$(REDIS_URL),redis://127.0.0.1:6379/15)
PYTEST_ARGS ?=

.PHONY: run test lint typecheck system-deps install install-dev labelstudio demo worker beat bench clean

$(VENV)/.runtime: requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip wheel
	@command -v pg_config >/dev/null || { echo "Installing libpq-dev (psycopg2 builds against it)"; \
		apt-get update -qq && apt-get install -y -qq --no-install-recommends libpq-dev; }
	$(BIN)/pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

$(LS_VENV)/.installed: scripts/labelstudio-requirements.txt
	@test -x $(LS_VENV)/bin/python || $(PYTHON) -m venv $(LS_VENV)
	$(LS_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LS_VENV)/bin/pip install --quiet -r scripts/labelstudio-requirements.txt
	@touch $@

labelstudio: $(LS_VENV)/.installed

# Debian's Chromium for the browser tests (Playwright drives it; it downloads no browser).
system-deps:
	@test -x /usr/bin/chromium || { echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; }

demo: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py demo_setup

run: demo
	@echo ""
	@echo "JWO Review is starting at http://$(HOST):$(PORT)/  (Ctrl-C stops it)"
	@echo "Demo logins (password jwo-demo-2026): reviewer, annotator, admin"
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check jwo_review inference low_confidence_queue annotation

typecheck: install-dev
	$(BIN)/mypy jwo_review inference low_confidence_queue annotation

test: install-dev system-deps labelstudio
	@DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/python scripts/check_services.py
	$(BIN)/ruff check .
	$(BIN)/ruff format --check jwo_review inference low_confidence_queue annotation
	$(BIN)/mypy jwo_review inference low_confidence_queue annotation
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) JWO_ENV=test \
		$(BIN)/python -m pytest $(PYTEST_ARGS)

worker: install
	$(BIN)/celery -A jwo_review worker -Q default,ingest,scoring,media,training --loglevel=info

beat: install
	$(BIN)/celery -A jwo_review beat --loglevel=info

bench: install-dev labelstudio
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/simulate.py
	$(BIN)/python bench/clips.py
	$(BIN)/python bench/scoring.py
	$(BIN)/python bench/queue.py
	$(BIN)/python bench/annotation.py
	$(BIN)/python bench/dashboard.py
	$(BIN)/python bench/labelstudio.py

clean:
	rm -rf $(VENV) $(LS_VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm media staticfiles
