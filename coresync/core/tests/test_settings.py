"""Production settings pass Django's deployment checks; bad values fail loudly."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    # A clean environment: no database override, nor flags other tests set in this process
    # (the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE, which check --deploy warns about).
    leaked = {"DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_DEBUG"}
    environment = {key: value for key, value in os.environ.items() if key not in leaked}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_in_production():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY="k" * 20 + "-production-secret-" + "z" * 30,
        DJANGO_ALLOWED_HOSTS="spa.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage("check", DJANGO_ENV="production", DJANGO_SECRET_KEY="")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_unknown_environment_name_fails_loudly():
    result = run_manage("check", DJANGO_ENV="staging")
    assert result.returncode != 0
    assert "DJANGO_ENV" in result.stderr


def test_postgresql_connections_are_pooled_in_production_and_on_request():
    show = "from django.conf import settings; print(settings.DATABASES['default'].get('OPTIONS'))"
    postgres = "postgres://postgres@127.0.0.1:5432/unused"
    production = {
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": "k" * 50,
        "DJANGO_ALLOWED_HOSTS": "spa.example.com",
    }

    pooled = run_manage("shell", "-c", show, DATABASE_URL=postgres, **production)
    asked = run_manage("shell", "-c", show, DATABASE_URL=postgres, DATABASE_POOL="true")
    default = run_manage("shell", "-c", show, DATABASE_URL=postgres)

    expected = "{'pool': {'min_size': 2, 'max_size': 10, 'timeout': 10.0}}"
    assert pooled.stdout.strip().splitlines()[-1] == expected, pooled.stderr
    assert asked.stdout.strip().splitlines()[-1] == expected, asked.stderr
    assert "pool" not in default.stdout, default.stderr
