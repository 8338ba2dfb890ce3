"""Linking a technician's calendar: OAuth consent (google-auth-oauthlib against a mocked
token endpoint), credentials encrypted at rest, push channels opened when a public URL is
set (recorded Google answers)."""

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from coresync.core import crypto
from coresync.googlesync import connect
from coresync.googlesync.models import CalendarLink, CredentialKind
from coresync.googlesync.providers.google import _credentials
from coresync.googlesync.tests.google_fake import error
from coresync.resources.models import ExternalBusyBlock

pytestmark = pytest.mark.django_db

REDIRECT = "https://spa.example/staff/manage/google/callback/"


@pytest.fixture
def oauth_client(settings):
    settings.GOOGLE_CLIENT_ID = "client-id.apps.googleusercontent.com"
    settings.GOOGLE_CLIENT_SECRET = "client-secret"


def test_consent_url_asks_for_offline_calendar_access(oauth_client):
    url = connect.authorization_url(REDIRECT, "state-1")

    query = parse_qs(urlsplit(url).query)
    assert url.startswith("https://accounts.google.com/o/oauth2/auth?")
    assert query["scope"] == ["https://www.googleapis.com/auth/calendar"]
    assert (query["access_type"], query["prompt"], query["state"]) == (
        ["offline"],
        ["consent"],
        ["state-1"],
    )
    assert query["redirect_uri"] == [REDIRECT]


def test_consent_stores_the_technicians_credentials_encrypted(oauth_client, spa):
    with responses.RequestsMock() as mock:
        mock.add(
            responses.POST,
            "https://oauth2.googleapis.com/token",
            json={
                "access_token": "ya29.access",
                "refresh_token": "1//refresh",
                "expires_in": 3599,
                "token_type": "Bearer",
                "scope": "https://www.googleapis.com/auth/calendar",
            },
        )
        link = connect.complete_authorization(spa.ana, "code-1", REDIRECT)
        sent = parse_qs(mock.calls[0].request.body)

    assert (sent["code"], sent["redirect_uri"]) == (["code-1"], [REDIRECT])
    link.refresh_from_db()
    assert (link.kind, link.calendar_id) == (CredentialKind.OAUTH, "primary")
    assert "1//refresh" not in link.credentials_encrypted
    stored = json.loads(crypto.decrypt(link.credentials_encrypted))
    assert stored["refresh_token"] == "1//refresh"
    credentials = _credentials(link, ["https://www.googleapis.com/auth/calendar"])
    assert (credentials.token, credentials.refresh_token) == ("ya29.access", "1//refresh")


def test_push_channels_are_opened_only_with_a_public_url(
    settings, spa, frozen_now, google_on, google_answers, ana_calendar
):
    settings.GOOGLE_PUSH_BASE_URL = ""
    assert connect.open_push_channels(frozen_now) == 0

    settings.GOOGLE_PUSH_BASE_URL = "https://spa.example"
    google = google_answers(
        [(200, {"kind": "api#channel", "resourceId": "res-1", "expiration": "1796688000000"})]
    )
    assert connect.open_push_channels(frozen_now) == 1

    method, uri, body = google.requests[0]
    assert (method, uri.split("?")[0]) == (
        "POST",
        "https://www.googleapis.com/calendar/v3/calendars/ana%40spa.example/events/watch",
    )
    assert (body["type"], body["address"]) == (
        "web_hook",
        "https://spa.example/integrations/google/notify/",
    )
    link = CalendarLink.objects.get()
    assert (link.channel_id, link.channel_token) == (body["id"], body["token"])
    assert link.channel_resource_id == "res-1"
    assert link.channel_expires_at == datetime(2026, 12, 8, tzinfo=UTC)
    # a live channel is not opened again
    assert connect.open_push_channels(frozen_now) == 0


@pytest.mark.parametrize("answer", [(204, ""), error(404, "notFound"), error(500, "backendError")])
def test_unlinking_stops_the_push_channel_and_drops_the_link_even_if_google_fails(
    spa, google_on, google_answers, ana_calendar, answer
):
    ana_calendar.channel_id, ana_calendar.channel_resource_id = "chan-1", "res-1"
    ana_calendar.channel_token = "tok-1"
    ana_calendar.save()
    ExternalBusyBlock.objects.create(
        technician=spa.ana,
        source="google",
        external_id="evt-1",
        starts_at=datetime(2026, 12, 2, 15, tzinfo=UTC),
        ends_at=datetime(2026, 12, 2, 16, tzinfo=UTC),
    )
    google = google_answers([answer])

    connect.unlink(spa.ana)

    [(method, uri, body)] = google.requests
    assert (method, uri.split("?")[0]) == (
        "POST",
        "https://www.googleapis.com/calendar/v3/channels/stop",
    )
    assert body == {"id": "chan-1", "resourceId": "res-1"}
    assert not CalendarLink.objects.exists()
    assert not ExternalBusyBlock.objects.filter(technician=spa.ana).exists()
    assert connect.calendar_to_pull("chan-1", "tok-1") is None


def test_unlinking_a_calendar_without_a_channel_calls_nobody(
    spa, google_on, google_answers, ana_calendar
):
    google = google_answers([])

    connect.unlink(spa.ana)

    assert google.requests == []
    assert not CalendarLink.objects.exists()
