"""Google Calendar API v3 and Sheets API v4 through google-api-python-client (httplib2).

Credentials: a technician's OAuth user credentials (stored encrypted on the
:class:`~coresync.googlesync.models.CalendarLink`; google-auth refreshes the access token
itself) or the workspace's service account acting as the calendar's owner (domain-wide
delegation). The discovery documents are the library's bundled copies
(``static_discovery``), so building a client makes no HTTP call; every request has the
``GOOGLE_TIMEOUT_SECONDS`` socket timeout.

Answers (Google Calendar API reference, "Errors"): 409 on insert = the event id exists (an
earlier try succeeded) → replace it; 404/410 on delete = already gone; 410 on a list with a
sync token → :class:`FullSyncRequired`; 429, 5xx, timeouts → transient; other 4xx → permanent.
"""

import json
from collections.abc import Callable
from typing import Any

import httplib2
from django.conf import settings
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from coresync.core import crypto
from coresync.googlesync.errors import FullSyncRequired, GoogleError
from coresync.googlesync.models import CredentialKind
from coresync.googlesync.providers.base import (
    CALENDAR_SCOPES,
    SHEETS_SCOPES,
    CalendarProvider,
    EventPage,
    SheetsProvider,
)

HttpFactory = Callable[[Any, list[str]], Any]
"""``factory(link_or_none, scopes)`` → an httplib2-compatible object that signs requests."""


def _credentials(link, scopes: list[str]):
    if link is not None and link.kind == CredentialKind.OAUTH:
        from google.oauth2.credentials import Credentials

        info = json.loads(crypto.decrypt(link.credentials_encrypted) or "{}")
        return Credentials.from_authorized_user_info(info, scopes)
    from google.oauth2 import service_account

    if not settings.GOOGLE_SERVICE_ACCOUNT_FILE:
        raise GoogleError("GOOGLE_SERVICE_ACCOUNT_FILE is not set.", permanent=True)
    credentials = service_account.Credentials.from_service_account_file(
        settings.GOOGLE_SERVICE_ACCOUNT_FILE, scopes=scopes
    )
    if link is not None and "@" in link.calendar_id:
        credentials = credentials.with_subject(link.calendar_id)
    return credentials


def authorized_http(link, scopes: list[str]):
    """Return an ``AuthorizedHttp`` for ``link``'s credentials (or the service account's)."""
    import google_auth_httplib2

    return google_auth_httplib2.AuthorizedHttp(
        _credentials(link, scopes), http=httplib2.Http(timeout=settings.GOOGLE_TIMEOUT_SECONDS)
    )


def _execute(request) -> Any:
    """Run a prepared API request; map failures to :class:`GoogleError`."""
    try:
        return request.execute(num_retries=0)
    except HttpError as error:
        status = int(error.resp.status)
        if status == 410:
            raise FullSyncRequired() from error
        permanent = 400 <= status < 500 and status not in (401, 403, 409, 429)
        raise GoogleError(
            f"Google answered {status}: {error.reason}", permanent=permanent, status=status
        ) from error
    except (TimeoutError, OSError, httplib2.HttpLib2Error) as error:
        raise GoogleError(f"Google did not answer: {error}") from error


class GoogleCalendar(CalendarProvider):
    name = "google"

    def __init__(self, http_factory: HttpFactory | None = None) -> None:
        self.http_factory = http_factory or authorized_http

    def _service(self, link):
        return build(
            "calendar",
            "v3",
            http=self.http_factory(link, CALENDAR_SCOPES),
            cache_discovery=False,
            static_discovery=True,
        )

    def _events(self, link):
        return self._service(link).events()

    def upsert_event(self, link, event_id: str, body: dict[str, Any], *, known: bool) -> None:
        events = self._events(link)
        body = {**body, "id": event_id}

        def insert():
            return events.insert(calendarId=link.calendar_id, body=body)

        def update():
            return events.update(calendarId=link.calendar_id, eventId=event_id, body=body)

        first, fallback, fallback_on = (update, insert, 404) if known else (insert, update, 409)
        try:
            _execute(first())
        except GoogleError as error:
            # 409 on insert: an earlier insert reached Google (its answer was lost);
            # 404 on update: the event was deleted in Google and is written again.
            if error.status != fallback_on:
                raise
            _execute(fallback())

    def delete_event(self, link, event_id: str) -> None:
        try:
            _execute(self._events(link).delete(calendarId=link.calendar_id, eventId=event_id))
        except GoogleError as error:
            if error.status not in (404, 410):
                raise

    def list_events(self, link, sync_token: str, time_min: str = "") -> EventPage:
        events = self._events(link)
        options: dict[str, Any] = {
            "calendarId": link.calendar_id,
            "singleEvents": True,
            "showDeleted": True,
            "maxResults": 250,
        }
        if sync_token:
            options["syncToken"] = sync_token
        elif time_min:
            options["timeMin"] = time_min
        found: list[dict[str, Any]] = []
        page_token = None
        while True:
            answer = _execute(events.list(**options, pageToken=page_token))
            found.extend(answer.get("items", []))
            page_token = answer.get("nextPageToken")
            if not page_token:
                return EventPage(found, answer.get("nextSyncToken", ""))

    def watch(self, link, *, address: str, channel_id: str, token: str) -> tuple[str, int]:
        answer = _execute(
            self._events(link).watch(
                calendarId=link.calendar_id,
                body={"id": channel_id, "type": "web_hook", "address": address, "token": token},
            )
        )
        return answer["resourceId"], int(answer.get("expiration", 0))

    def stop_channel(self, link) -> None:
        body = {"id": link.channel_id, "resourceId": link.channel_resource_id}
        try:
            _execute(self._service(link).channels().stop(body=body))
        except GoogleError as error:
            if error.status != 404:
                raise


class GoogleSheets(SheetsProvider):
    name = "google"

    def __init__(self, http_factory: HttpFactory | None = None) -> None:
        self.http_factory = http_factory or authorized_http

    def _sheets(self):
        return build(
            "sheets",
            "v4",
            http=self.http_factory(None, SHEETS_SCOPES),
            cache_discovery=False,
            static_discovery=True,
        ).spreadsheets()

    def read_tabs(self, spreadsheet_id: str, tabs: list[str]) -> dict[str, list[list[Any]]]:
        sheets = self._sheets()
        # Google refuses a whole batch naming a tab the sheet lacks (400): ask only for those
        # it has.
        existing = {
            sheet["properties"]["title"]
            for sheet in _execute(
                sheets.get(spreadsheetId=spreadsheet_id, fields="sheets.properties.title")
            ).get("sheets", [])
        }
        present = [tab for tab in tabs if tab in existing]
        found: dict[str, list[list[Any]]] = {tab: [] for tab in tabs}
        if not present:
            return found
        answer = _execute(
            sheets.values().batchGet(
                spreadsheetId=spreadsheet_id,
                ranges=[f"'{tab}'" for tab in present],
                valueRenderOption="UNFORMATTED_VALUE",
            )
        )
        rows = [value_range.get("values", []) for value_range in answer.get("valueRanges", [])]
        found.update(zip(present, rows, strict=False))
        return found

    def write_tabs(self, spreadsheet_id: str, tabs: dict[str, list[list[Any]]]) -> None:
        sheets = self._sheets()
        existing = {
            sheet["properties"]["title"]
            for sheet in _execute(sheets.get(spreadsheetId=spreadsheet_id)).get("sheets", [])
        }
        missing = [tab for tab in tabs if tab not in existing]
        if missing:
            _execute(
                sheets.batchUpdate(
                    spreadsheetId=spreadsheet_id,
                    body={
                        "requests": [{"addSheet": {"properties": {"title": t}}} for t in missing]
                    },
                )
            )
        _execute(
            sheets.values().batchClear(
                spreadsheetId=spreadsheet_id, body={"ranges": [f"'{tab}'" for tab in tabs]}
            )
        )
        _execute(
            sheets.values().batchUpdate(
                spreadsheetId=spreadsheet_id,
                body={
                    "valueInputOption": "RAW",
                    "data": [
                        {"range": f"'{tab}'!A1", "values": rows} for tab, rows in tabs.items()
                    ],
                },
            )
        )
