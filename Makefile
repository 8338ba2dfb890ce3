# The two commands of the README, and a few for developers.
.PHONY: demo test lint format bench install schema schemathesis load

install:
	@bash scripts/bootstrap.sh

# Install, load the demo spa into SQLite (from a clean database: --reset empties the demo's
# own var/coresync.sqlite3 and refuses any other database that holds data) and serve it at
# http://127.0.0.1:8000/
demo: install
	DJANGO_DEBUG=true uv run python manage.py demo --reset

# Install and run the whole test suite (lint included). DATABASE_URL picks the database.
test: install
	uv run ruff check .
	uv run ruff format --check .
	uv run lint-imports
	uv run pytest

lint: install
	uv run ruff check .
	uv run ruff format --check .
	uv run lint-imports

format: install
	uv run ruff format .
	uv run ruff check --fix .

bench: install
	uv run python bench/run.py

# Regenerate the committed OpenAPI schema (a test fails when it is out of date). The
# PostgreSQL URL only selects the backend (integer bounds); no connection is made.
schema: install
	DATABASE_URL=postgres://schema@127.0.0.1:5432/unused \
	  uv run python manage.py spectacular --validate --fail-on-warn --file docs/api/openapi.yaml

# Fuzz the live API (gunicorn + uvicorn workers, fresh PostgreSQL database coresync_schemathesis
# or $SCHEMATHESIS_DATABASE_URL, demo spa)
# against its OpenAPI schema, as a customer and as a manager. CI runs it.
schemathesis: install
	bash scripts/schemathesis.sh

# Load test: gunicorn + uvicorn workers (2) on PostgreSQL (coresync_load) and Redis, 50 users
# for 60 s. HTTP benchmark (wrk): uv run python bench/http_bench.py
load: install
	uv run python bench/load.py
