# flowdesk — `make run` serves the product on SQLite; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1:8000

NODE_STAMP := node_modules/.installed

.PHONY: install browser run run-scaled scaled-env test e2e bench lint format clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; print('\n'.join(p['dependencies'] + p['optional-dependencies']['dev']))" > $(VENV)/requirements.txt
	$(PY) -m pip install -q -r $(VENV)/requirements.txt
	touch $(STAMP)

$(NODE_STAMP): package.json
	npm install --no-audit --no-fund
	touch $(NODE_STAMP)

install: $(STAMP) $(NODE_STAMP)

# Browser tests drive Debian's Chromium (a browser download is not possible here).
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	$(PY) manage.py run_embedded $(HOST)

# Scale-out: gunicorn (threads) + Celery worker and beat on PostgreSQL and Redis.
WEB_WORKERS ?= 2
WEB_THREADS ?= 8
CELERY_CONCURRENCY ?= 2
scaled-env:
	@[ -n "$$DATABASE_URL" ] || { echo "run-scaled: set DATABASE_URL=postgres://user:password@host:5432/dbname (PostgreSQL)" >&2; exit 2; }
	@[ -n "$$REDIS_URL" ] || { echo "run-scaled: set REDIS_URL=redis://host:6379/0 (the Celery broker)" >&2; exit 2; }
	@case "$$DATABASE_URL" in postgres://*|postgresql://*) ;; *) echo "run-scaled: DATABASE_URL must be a postgres:// URL" >&2; exit 2;; esac

run-scaled: scaled-env install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v 0
	cd platform && trap 'kill 0' EXIT INT TERM; \
	  ../$(VENV)/bin/celery -A flowdesk worker --loglevel=WARNING --concurrency=$(CELERY_CONCURRENCY) & \
	  ../$(VENV)/bin/celery -A flowdesk beat --loglevel=WARNING --schedule=$(CURDIR)/var/celerybeat-schedule & \
	  ../$(VENV)/bin/gunicorn flowdesk.wsgi:application --worker-class gthread \
	    --workers $(WEB_WORKERS) --threads $(WEB_THREADS) --bind $(HOST) --access-logfile -

test: install browser
	$(PY) -m pytest

e2e: install browser
	$(PY) -m pytest -m e2e

# On PostgreSQL (DATABASE_URL) all sections run (~10 min); on SQLite only the engine ratio.
bench: install
	$(PY) bench/engine.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	cd platform && ../$(VENV)/bin/lint-imports --config ../pyproject.toml

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) var
