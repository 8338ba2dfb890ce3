# The two commands of the README, and a few for developers.
.PHONY: demo test lint format bench install

install:
	@bash scripts/bootstrap.sh

# Install, load the demo spa into SQLite and serve it at http://127.0.0.1:8000/
demo: install
	DJANGO_DEBUG=true uv run python manage.py demo

# Install and run the whole test suite (lint included). DATABASE_URL picks the database.
test: install
	uv run ruff check .
	uv run ruff format --check .
	uv run pytest

lint: install
	uv run ruff check .
	uv run ruff format --check .

format: install
	uv run ruff format .
	uv run ruff check --fix .

bench: install
	uv run python bench/run.py
