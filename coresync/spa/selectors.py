"""Reads of spa-wide settings."""

from django.core.cache import cache
from django.db import connection

from coresync.spa.models import SETTINGS_CACHE_KEY, SpaSettings


def get_settings() -> SpaSettings:
    """Return the spa's settings row, creating the defaults on first use.

    Cached (default cache, 60 s) because every availability call needs it; saving the row
    clears the cache. A row read inside a transaction is not cached: it may be uncommitted
    and rolled back.
    """
    settings = cache.get(SETTINGS_CACHE_KEY)
    if settings is None:
        settings, _ = SpaSettings.objects.get_or_create(pk=1)
        if not connection.in_atomic_block:
            cache.set(SETTINGS_CACHE_KEY, settings, 60)
    return settings
