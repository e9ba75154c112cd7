# LeadFlow — `make run` and `make test` work on a fresh machine with Python 3.11+ and nothing else.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
STAMP  := $(VENV)/.installed

.PHONY: run serve test lint typecheck format venv browser bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("LeadFlow needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

## Web, Celery worker and beat on the embedded defaults (SQLite, file broker, sandbox providers).
run: venv
	PORT=$(PORT) $(BIN)/python bin/run-embedded

## Production on one machine: gunicorn, ring worker, default worker, beat (Procfile, honcho).
## PostgreSQL and Redis/RabbitMQ from the environment or .env; refuses to start without them.
## PROCESSES="ring worker" runs only those (a machine that adds workers).
serve: venv
	$(BIN)/python bin/serve $(PROCESSES)

## The whole suite. SQLite and the embedded broker unless DATABASE_URL / REDIS_URL are set.
test: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MAKE) --no-print-directory typecheck

## mypy with django-stubs (settings need a key to load; this one signs nothing).
typecheck: venv
	SECRET_KEY=type-check-only LEADFLOW_ENV_FILE= $(BIN)/mypy

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Debian's Chromium for the browser tests (needs root; CI runs it).
browser:
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

bench: venv
	$(BIN)/python -m benchmarks.intake

clean:
	rm -rf $(VENV) var/*.sqlite3* var/broker var/celerybeat-schedule* var/static
