"""Reads of spa-wide settings."""

from django.core.cache import cache

from coresync.spa.models import SETTINGS_CACHE_KEY, SpaSettings


def get_settings() -> SpaSettings:
    """Return the spa's settings row, creating the defaults on first use.

    Cached (default cache, 60 s) because every availability call needs it; saving the row
    clears the cache.
    """
    settings = cache.get(SETTINGS_CACHE_KEY)
    if settings is None:
        settings, _ = SpaSettings.objects.get_or_create(pk=1)
        cache.set(SETTINGS_CACHE_KEY, settings, 60)
    return settings
