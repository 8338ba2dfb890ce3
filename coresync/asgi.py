"""ASGI entry point (served by gunicorn with uvicorn workers in production: docs/deploy.md)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coresync.settings")
application = get_asgi_application()
