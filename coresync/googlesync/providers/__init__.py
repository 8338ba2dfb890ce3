"""Google providers, chosen by ``GOOGLE_PROVIDER``: ``offline`` (the default; nothing is
sent, the ICS feeds remain) and ``google`` (Calendar API v3 and Sheets API v4 through
google-api-python-client)."""

from django.conf import settings
from django.utils.module_loading import import_string

from coresync.googlesync.providers.base import CalendarProvider, EventPage, SheetsProvider

CALENDAR_PROVIDERS = {
    "offline": "coresync.googlesync.providers.offline.OfflineCalendar",
    "google": "coresync.googlesync.providers.google.GoogleCalendar",
}
SHEETS_PROVIDERS = {
    "offline": "coresync.googlesync.providers.offline.OfflineSheets",
    "google": "coresync.googlesync.providers.google.GoogleSheets",
}


def get_calendar_provider(name: str | None = None) -> CalendarProvider:
    """Return the calendar provider named ``name`` (default ``GOOGLE_PROVIDER``)."""
    return import_string(CALENDAR_PROVIDERS[name or settings.GOOGLE_PROVIDER])()


def get_sheets_provider(name: str | None = None) -> SheetsProvider:
    """Return the sheets provider named ``name`` (default ``GOOGLE_PROVIDER``)."""
    return import_string(SHEETS_PROVIDERS[name or settings.GOOGLE_PROVIDER])()


__all__ = ["CalendarProvider", "EventPage", "SheetsProvider", "get_calendar_provider"]
