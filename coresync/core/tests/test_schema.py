"""The OpenAPI schema: committed, current, valid, served; the docs page needs no CDN."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

ROOT = Path(settings.BASE_DIR)
COMMITTED_SCHEMA = ROOT / "docs" / "api" / "openapi.yaml"
# The committed schema describes PostgreSQL, the production database: integer bounds come
# from the backend (SQLite allows 64-bit integers). Generating the schema opens no connection,
# so this URL only selects the backend. `make schema` uses the same one.
SCHEMA_DATABASE_URL = "postgres://schema@127.0.0.1:5432/unused"


def generate_schema(path: Path) -> subprocess.CompletedProcess:
    environment = {**os.environ, "DATABASE_URL": SCHEMA_DATABASE_URL}
    return subprocess.run(
        [
            sys.executable,
            "manage.py",
            "spectacular",
            "--validate",
            "--fail-on-warn",
            "--file",
            str(path),
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_committed_schema_is_current_and_valid(tmp_path):
    generated = tmp_path / "openapi.yaml"

    result = generate_schema(generated)

    assert result.returncode == 0, (
        "The schema has errors or warnings (drf-spectacular):\n" + result.stdout + result.stderr
    )
    assert COMMITTED_SCHEMA.exists(), "docs/api/openapi.yaml is missing: run `make schema`."
    assert generated.read_text() == COMMITTED_SCHEMA.read_text(), (
        "docs/api/openapi.yaml differs from the API: run `make schema` and commit the file."
    )


@pytest.mark.django_db
def test_schema_endpoint_serves_the_openapi_document(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    document = response.json()
    assert document["openapi"] == "3.1.0"
    assert "/api/v1/bookings/" in document["paths"]
    assert "/api/v1/availability/" in document["paths"]


@pytest.mark.django_db
def test_docs_page_renders_swagger_ui_from_local_static_files(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui" in page
    assert f"{settings.STATIC_URL}drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "cdn.jsdelivr.net" not in page and "unpkg.com" not in page
    for asset in ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"):
        assert finders.find(f"drf_spectacular_sidecar/swagger-ui-dist/{asset}"), asset
