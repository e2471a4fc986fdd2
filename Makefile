# flowdesk — `make run` serves the product on SQLite; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1:8000

NODE_STAMP := node_modules/.installed

# pip-audit's verdict: a known vulnerability fails; an unreachable database only warns.
define PIP_AUDIT_VERDICT
import json, pathlib, sys
report, errors = pathlib.Path("var/pip-audit.json"), pathlib.Path("var/pip-audit.err")
if not report.exists() or not report.read_text().strip():
    last = (errors.read_text().strip().splitlines() or ["no output"])[-1]
    print(f"WARNING: pip-audit could not run (no network?): {last}")
    sys.exit(0)
deps = json.loads(report.read_text())["dependencies"]
found = [f"{d['name']} {d['version']}: {v['id']}" for d in deps for v in d.get("vulns", [])]
skipped = [d["name"] for d in deps if d.get("skip_reason")]
for line in found:
    print(f"VULNERABLE {line}")
if skipped:
    print(f"WARNING: pip-audit could not check {len(skipped)} of {len(deps)} packages "
          "(vulnerability database unreachable?)")
print(f"pip-audit: {len(found)} known vulnerabilities in {len(deps) - len(skipped)} checked packages")
sys.exit(1 if found else 0)
endef
export PIP_AUDIT_VERDICT

.PHONY: install browser messages run run-scaled scaled-env test audit e2e bench lint format clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; print('\n'.join(p['dependencies'] + p['optional-dependencies']['dev']))" > $(VENV)/requirements.txt
	$(PY) -m pip install -q -r $(VENV)/requirements.txt
	touch $(STAMP)

ASSETS := web/static/dist/.built

$(NODE_STAMP): package.json
	npm install --no-audit --no-fund
	touch $(NODE_STAMP)

# The workbench's browser code (bpmn-js, dmn-js, htmx, ...) bundled into web/static: no CDN.
$(ASSETS): $(NODE_STAMP) web/build.mjs $(wildcard web/src/*.js web/src/*.css)
	node web/build.mjs
	touch $(ASSETS)

install: $(STAMP) $(NODE_STAMP) $(ASSETS)

# Browser tests drive Debian's Chromium (a browser download is not possible here).
# A Chinese font too: without one the screenshots of Chinese pages show empty boxes.
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	@fc-list :lang=zh | grep -q . || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei; }

# DEBUG is off unless the environment says otherwise; the local server turns it on for itself.
run: install
	@echo "make run: DEBUG=1 (development server; production leaves DEBUG unset)"
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py load_demo
	DEBUG=1 $(PY) manage.py run_embedded $(HOST)

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

# Two processes on two cores (each with its own test database): the suite in half the time.
# Whole files go to the workers in the order tests/conftest.py gives, long ones first.
test: install browser audit
	$(PY) -m pytest -n auto --dist loadfile --no-loadscope-reorder

# Known vulnerabilities in the Python and npm dependencies fail the build; an audit that
# cannot reach its database (no network) only warns.
audit: install
	@mkdir -p var && rm -f var/pip-audit.json
	@$(VENV)/bin/pip-audit --progress-spinner off --format json --output var/pip-audit.json \
		2>var/pip-audit.err; $(PY) -c "$$PIP_AUDIT_VERDICT"
	@out=$$(npm audit --omit=dev --audit-level=high 2>&1); rc=$$?; echo "$$out" | tail -n 3; \
	if [ $$rc -ne 0 ] && echo "$$out" | grep -qiE "(high|critical) severity vulnerabilit"; then \
		echo "npm audit: vulnerabilities of high severity or above"; exit 1; \
	elif [ $$rc -ne 0 ]; then echo "WARNING: npm audit could not run (no network?); skipped"; fi

e2e: install browser
	$(PY) -m pytest -m e2e

# On PostgreSQL (DATABASE_URL) all sections run (~10 min); on SQLite only the engine ratio.
bench: install
	$(PY) bench/engine.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	cd platform && ../$(VENV)/bin/lint-imports ../pyproject.toml

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) var

# The zh-hans catalogues: each .po (web/locale/<area>, platform/<app>/locale) compiled to the
# .mo next to it. The .mo files are committed, so running the product needs no gettext tools;
# tests/i18n fails when a .mo no longer says what its .po says.
messages:
	@command -v msgfmt >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext; }
	@for po in $$(find web/locale platform -path '*/LC_MESSAGES/django.po'); do \
		msgfmt --check-format -o $${po%.po}.mo $$po || exit 1; done
