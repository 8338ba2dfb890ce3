"""Deployment checks of CoreSync's own (``manage.py check --deploy``)."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def check_secret_key_is_not_the_checkout_key(app_configs, **kwargs) -> list[Error]:
    """Fail a deployment that signs with this checkout's development key (``var/secret_key``)
    instead of a ``DJANGO_SECRET_KEY`` of its own."""
    if getattr(settings, "SECRET_KEY_FROM_CHECKOUT", False):
        return [
            Error(
                "SECRET_KEY is this checkout's development key (var/secret_key).",
                hint="Set DJANGO_SECRET_KEY or DJANGO_SECRET_KEY_FILE (32+ random characters).",
                id="coresync.E001",
            )
        ]
    return []
