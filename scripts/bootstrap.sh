#!/usr/bin/env bash
# Install everything CoreSync needs into .venv from the lock file (uv.lock).
# Needs only python3 (3.11) on PATH; installs the pinned uv first if it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
UV_VERSION="0.13.9"
if ! command -v uv >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check "uv==${UV_VERSION}"
fi
# Bytecode is compiled here, once: with PYTHONDONTWRITEBYTECODE set (as on our CI machines)
# Python would otherwise compile every module again in every process (about 2 s of each
# start). An edited file is still compiled afresh when its source is newer.
uv sync --frozen --quiet --compile-bytecode
uv run --frozen python -m compileall -q coresync bench scripts manage.py conftest.py factories.py racing.py >/dev/null
