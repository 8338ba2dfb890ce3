"""The interfaces of the Google providers."""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class EventPage:
    """Events changed since the last sync (all of them on a full sync), as Google's Event
    resources, and the token for the next incremental sync."""

    events: list[dict[str, Any]] = field(default_factory=list)
    next_sync_token: str = ""


CALENDAR_SCOPES = ["https://www.googleapis.com/auth/calendar"]
"""OAuth scopes of the Calendar provider (Google Calendar API v3)."""
SHEETS_SCOPES = ["https://www.googleapis.com/auth/spreadsheets"]
"""OAuth scopes of the Sheets provider (Google Sheets API v4)."""


class CalendarProvider:
    """A technician's calendar. ``link`` is a :class:`~coresync.googlesync.models.CalendarLink`.
    Implementations set explicit timeouts and raise
    :class:`~coresync.googlesync.errors.GoogleError`."""

    name = ""

    def upsert_event(self, link, event_id: str, body: dict[str, Any], *, known: bool) -> None:
        """Write event ``event_id`` with ``body``: replace it when ``known`` (pushed before),
        else create it; either way, end with exactly one event of that id."""
        raise NotImplementedError

    def delete_event(self, link, event_id: str) -> None:
        """Delete event ``event_id``; an event already gone is not an error."""
        raise NotImplementedError

    def list_events(self, link, sync_token: str, time_min: str = "") -> EventPage:
        """Return the events changed since ``sync_token`` (``""``: every event from
        ``time_min``, an RFC 3339 instant).

        Raises:
            FullSyncRequired: the token expired (410).
        """
        raise NotImplementedError

    def watch(self, link, *, address: str, channel_id: str, token: str) -> tuple[str, int]:
        """Open a push channel to ``address``; return Google's resource id and the channel's
        expiry (Unix milliseconds)."""
        raise NotImplementedError

    def stop_channel(self, link) -> None:
        """Stop ``link``'s push channel (``channel_id``, ``channel_resource_id``): Google
        sends no more notifications for it. A channel Google no longer knows (it expired)
        is not an error."""
        raise NotImplementedError


class SheetsProvider:
    """A spreadsheet's tabs as rows of cells."""

    name = ""

    def read_tabs(self, spreadsheet_id: str, tabs: list[str]) -> dict[str, list[list[Any]]]:
        """Return the rows of each tab (missing tabs as empty lists)."""
        raise NotImplementedError

    def write_tabs(self, spreadsheet_id: str, tabs: dict[str, list[list[Any]]]) -> None:
        """Replace the content of each tab with ``rows`` (creating missing tabs)."""
        raise NotImplementedError
