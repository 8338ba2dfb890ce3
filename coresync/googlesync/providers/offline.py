"""Offline Google providers (the default): nothing leaves the machine."""

from typing import Any

from coresync.googlesync.errors import GoogleError
from coresync.googlesync.providers.base import CalendarProvider, EventPage, SheetsProvider


class OfflineCalendar(CalendarProvider):
    """No Google calendar: pushes do nothing, pulls find nothing."""

    name = "offline"

    def upsert_event(self, link, event_id: str, body: dict[str, Any], *, known: bool) -> None:
        return None

    def delete_event(self, link, event_id: str) -> None:
        return None

    def list_events(self, link, sync_token: str, time_min: str = "") -> EventPage:
        return EventPage([], sync_token or "offline")

    def watch(self, link, *, address: str, channel_id: str, token: str) -> tuple[str, int]:
        raise GoogleError("Push channels need GOOGLE_PROVIDER=google.", permanent=True)

    def stop_channel(self, link) -> None:
        return None


class OfflineSheets(SheetsProvider):
    """No Google Sheets: the pricing tables come from the database (or an XLSX upload)."""

    name = "offline"

    def read_tabs(self, spreadsheet_id: str, tabs: list[str]) -> dict[str, list[list[Any]]]:
        raise GoogleError("Google Sheets is not configured (GOOGLE_PROVIDER=offline).")

    def write_tabs(self, spreadsheet_id: str, tabs: dict[str, list[list[Any]]]) -> None:
        raise GoogleError("Google Sheets is not configured (GOOGLE_PROVIDER=offline).")
