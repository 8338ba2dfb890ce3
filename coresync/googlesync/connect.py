"""Linking a technician's Google calendar: OAuth consent per technician
(google-auth-oauthlib's web flow, offline access so a refresh token is issued) or the
workspace's service account acting for the technician's address (domain-wide delegation).
Credentials are stored encrypted (:mod:`coresync.core.crypto`)."""

import logging
import uuid
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction

from coresync.core import crypto
from coresync.core.clock import now as clock_now
from coresync.googlesync.errors import GoogleError
from coresync.googlesync.models import CalendarLink, CredentialKind
from coresync.googlesync.providers import get_calendar_provider
from coresync.googlesync.providers.base import CALENDAR_SCOPES
from coresync.resources.models import Technician

logger = logging.getLogger(__name__)

CHANNEL_RENEW_BEFORE = timedelta(hours=12)


def _flow(redirect_uri: str, state: str | None = None):
    from google_auth_oauthlib.flow import Flow

    if not (settings.GOOGLE_CLIENT_ID and settings.GOOGLE_CLIENT_SECRET):
        raise GoogleError("GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET are not set.", permanent=True)
    config = {
        "web": {
            "client_id": settings.GOOGLE_CLIENT_ID,
            "client_secret": settings.GOOGLE_CLIENT_SECRET,
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": "https://oauth2.googleapis.com/token",
        }
    }
    return Flow.from_client_config(
        config, scopes=CALENDAR_SCOPES, redirect_uri=redirect_uri, state=state
    )


def authorization_url(redirect_uri: str, state: str) -> str:
    """Return Google's consent page URL (calendar scope, offline access, consent forced so
    a refresh token is always issued).

    Raises:
        GoogleError: the OAuth client is not configured.
    """
    url, _ = _flow(redirect_uri, state).authorization_url(
        access_type="offline", prompt="consent", include_granted_scopes="true"
    )
    return url


def complete_authorization(technician: Technician, code: str, redirect_uri: str) -> CalendarLink:
    """Exchange the callback's ``code`` for the technician's credentials and link their
    primary calendar (a full pull follows at the next poll).

    Raises:
        GoogleError: Google refused the code.
    """
    flow = _flow(redirect_uri)
    try:
        flow.fetch_token(code=code)
    except Exception as error:  # noqa: BLE001 - oauthlib raises many types for a bad code
        raise GoogleError(f"Google refused the authorization: {error}", permanent=True) from None
    return _link(technician, CredentialKind.OAUTH, "primary", flow.credentials.to_json())


def link_service_account(technician: Technician, calendar_address: str) -> CalendarLink:
    """Link ``technician`` to the calendar of ``calendar_address`` through the workspace's
    service account (``GOOGLE_SERVICE_ACCOUNT_FILE``)."""
    return _link(technician, CredentialKind.SERVICE_ACCOUNT, calendar_address, "")


def _link(technician: Technician, kind: str, calendar_id: str, credentials: str) -> CalendarLink:
    with transaction.atomic():
        link, _ = CalendarLink.objects.update_or_create(
            technician=technician,
            defaults={
                "kind": kind,
                "calendar_id": calendar_id,
                "credentials_encrypted": crypto.encrypt(credentials),
                "sync_token": "",
                "is_active": True,
                "last_error": "",
            },
        )
    return link


def unlink(technician: Technician) -> None:
    """Stop syncing ``technician``'s calendar and drop its busy blocks. An open push channel
    is stopped first (Google's ``channels.stop``); if Google cannot be reached the link goes
    anyway: the channel expires within a week, and its notifications find no link."""
    from coresync.resources.models import ExternalBusyBlock

    for link in CalendarLink.objects.filter(technician=technician).exclude(channel_id=""):
        try:
            get_calendar_provider().stop_channel(link)
        except GoogleError as error:
            logger.warning("Push channel %s not stopped: %s", link.channel_id, error)
    with transaction.atomic():
        CalendarLink.objects.filter(technician=technician).delete()
        for block in ExternalBusyBlock.objects.filter(technician=technician, source="google"):
            block.delete()


def open_push_channels(now: datetime | None = None) -> int:
    """Open (or renew) a push channel on each linked calendar whose channel is missing or
    about to expire, when ``GOOGLE_PUSH_BASE_URL`` is set; return how many were opened.
    Without it, polling alone keeps calendars in sync."""
    if not settings.GOOGLE_PUSH_BASE_URL:
        return 0
    now = now or clock_now()
    address = settings.GOOGLE_PUSH_BASE_URL.rstrip("/") + "/integrations/google/notify/"
    provider = get_calendar_provider()
    opened = 0
    for link in CalendarLink.objects.filter(is_active=True):
        if link.channel_expires_at and link.channel_expires_at - CHANNEL_RENEW_BEFORE > now:
            continue
        channel_id, token = uuid.uuid4().hex, uuid.uuid4().hex
        try:
            resource_id, expiration_ms = provider.watch(
                link, address=address, channel_id=channel_id, token=token
            )
        except GoogleError as error:
            CalendarLink.objects.filter(pk=link.pk).update(last_error=str(error)[:2000])
            continue
        CalendarLink.objects.filter(pk=link.pk).update(
            channel_id=channel_id,
            channel_token=token,
            channel_resource_id=resource_id,
            channel_expires_at=datetime.fromtimestamp(expiration_ms / 1000, UTC)
            if expiration_ms
            else now + timedelta(days=7),
        )
        opened += 1
    return opened


def calendar_to_pull(channel_id: str, token: str) -> CalendarLink | None:
    """Return the link a push notification is for, if its channel id and token are ours
    (Google sends them as ``X-Goog-Channel-ID`` and ``X-Goog-Channel-Token``)."""
    if not channel_id or not token:
        return None
    return CalendarLink.objects.filter(
        channel_id=channel_id, channel_token=token, is_active=True
    ).first()
