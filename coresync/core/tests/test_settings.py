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


def test_development_signs_with_a_key_of_this_checkout_not_a_public_one():
    show = "from django.conf import settings; print(settings.SECRET_KEY)"
    first = run_manage("shell", "-c", show, DJANGO_SECRET_KEY="")
    second = run_manage("shell", "-c", show, DJANGO_SECRET_KEY="")
    assert first.returncode == 0, first.stderr
    key = first.stdout.strip().splitlines()[-1]
    assert (
        key
        == second.stdout.strip().splitlines()[-1]
        == (ROOT / "var" / "secret_key").read_text().strip()
    )
    assert len(key) >= 50 and "insecure" not in key
    assert (
        "secret_key" in (ROOT / ".gitignore").read_text()
        or "var/" in (ROOT / ".gitignore").read_text()
    )
    assert oct((ROOT / "var" / "secret_key").stat().st_mode & 0o777) == "0o600"


def test_check_deploy_fails_on_the_checkout_key():
    result = run_manage(
        "check", "--deploy", DJANGO_SECRET_KEY="", DJANGO_ALLOWED_HOSTS="spa.example.com"
    )
    assert result.returncode != 0
    assert "coresync.E001" in result.stdout + result.stderr


def test_a_short_secret_key_is_refused_in_development_too():
    result = run_manage("check", DJANGO_SECRET_KEY="too-short")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_a_jwt_forged_with_the_old_public_development_key_is_refused(spa, customer):
    import jwt
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.utils import get_md5_hash_password

    claims = {"token_type": "access", "user_id": str(customer.pk), "exp": 4102444800, "jti": "x"}
    claims["hash_password"] = get_md5_hash_password(customer.password)
    forged = jwt.encode(
        claims,
        "dev-insecure-key-change-me-" + "x" * 32,
        algorithm="HS256",
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {forged}")
    assert api.get("/api/v1/me/").status_code == 401
    genuine = jwt.encode(claims, settings.SECRET_KEY, algorithm="HS256")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {genuine}")
    assert api.get("/api/v1/me/").status_code == 200  # the same claims, signed with our key
