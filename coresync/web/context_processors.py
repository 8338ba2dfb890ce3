"""Values every site template needs: the spa's settings row and its contact details.

Lazy: pages that never use them (the admin) pay no query.
"""

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from coresync.spa.selectors import get_settings


def site(request) -> dict:
    """Add ``spa`` (the settings row, read on first use) and ``contact`` to the context."""
    return {
        "spa": SimpleLazyObject(get_settings),
        "contact": {
            "address": getattr(settings, "SPA_ADDRESS", ""),
            "phone": getattr(settings, "SPA_PHONE", ""),
            "email": settings.DEFAULT_FROM_EMAIL.rsplit("<", 1)[-1].rstrip(">"),
            "directions": getattr(settings, "SPA_DIRECTIONS", ""),
            "parking": getattr(settings, "SPA_PARKING", ""),
            "map_url": getattr(settings, "SPA_MAP_URL", ""),
        },
    }
