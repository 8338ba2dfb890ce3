#!/usr/bin/env bash
# Fuzz the live API (uvicorn, fresh PostgreSQL database, demo spa) against its OpenAPI schema
# with Schemathesis, as a customer and as a manager; fails on any 5xx or schema mismatch.
# Options are passed on: --max-examples N, --workers N, --phases LIST, --seed N, --persona P.
set -euo pipefail
cd "$(dirname "$0")/.."
exec uv run python scripts/schemathesis.py "$@"
