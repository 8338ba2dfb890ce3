"""The QuickBooks Online connection: OAuth2 authorization (intuit-oauth), tokens encrypted at
rest, and refresh under a row lock.

Intuit rotates refresh tokens: each refresh answers a new refresh token and the old one soon
stops working (Intuit docs, "Refresh the access token"). Two workers refreshing at once would
spend the same token twice and one of them would store a token that is already dead, so
:func:`access_token` refreshes while holding the connection row's lock and saves every new
refresh token before releasing it. This is the one call to an outside service made under a
row lock (docs/decisions/0011-integration-tokens-refresh-under-lock.md): the lock is on a
single row no booking path touches, and the token endpoint is called with a timeout.
"""

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.db import transaction

from coresync.accounting.errors import AccountingError, NotConnected
from coresync.accounting.models import QuickBooksConnection
from coresync.core import crypto
from coresync.core.clock import now as clock_now

EARLY_REFRESH = timedelta(minutes=5)
"""Refresh an access token this long before it expires (a call must not start with a token
about to die)."""


@dataclass(frozen=True)
class AccessToken:
    """What a QuickBooks API call needs: the company (realm) id and a live access token."""

    realm_id: str
    token: str


def get_connection() -> QuickBooksConnection:
    """Return the spa's connection row (``pk=1``), created empty when missing."""
    connection, _ = QuickBooksConnection.objects.get_or_create(
        pk=1, defaults={"environment": settings.QUICKBOOKS_ENVIRONMENT}
    )
    return connection


def auth_client(redirect_uri: str = ""):
    """Return an ``intuitlib.client.AuthClient`` for the configured app (it reads Intuit's
    discovery document, an HTTP call)."""
    from intuitlib.client import AuthClient

    client = AuthClient(
        client_id=settings.QUICKBOOKS_CLIENT_ID,
        client_secret=settings.QUICKBOOKS_CLIENT_SECRET,
        redirect_uri=redirect_uri or "https://localhost/",
        environment=settings.QUICKBOOKS_ENVIRONMENT,
    )
    # The client is a requests.Session that sends without a timeout: give its calls one.
    client.request = functools.partial(client.request, timeout=settings.QUICKBOOKS_TIMEOUT_SECONDS)
    return client


def authorization_url(redirect_uri: str, state: str) -> str:
    """Return Intuit's consent page URL for the accounting scope; ``state`` is the CSRF
    value the callback must bring back."""
    from intuitlib.enums import Scopes

    return auth_client(redirect_uri).get_authorization_url([Scopes.ACCOUNTING], state_token=state)


def complete_authorization(
    code: str, realm_id: str, redirect_uri: str, *, now: datetime | None = None
) -> QuickBooksConnection:
    """Exchange the callback's ``code`` for tokens and store them (encrypted) with the
    company's ``realm_id``.

    Raises:
        AccountingError: Intuit refused the code (expired, reused) or did not answer.
    """
    from intuitlib.exceptions import AuthClientError

    now = now or clock_now()
    client = auth_client(redirect_uri)
    try:
        client.get_bearer_token(code, realm_id=realm_id)
    except AuthClientError as error:
        raise AccountingError(
            f"Intuit refused the authorization: {error}", permanent=True
        ) from error
    with transaction.atomic():
        connection = QuickBooksConnection.objects.select_for_update().get(pk=get_connection().pk)
        connection.realm_id = realm_id
        connection.environment = settings.QUICKBOOKS_ENVIRONMENT
        connection.connected_at = now
        _store_tokens(connection, client, now)
        connection.save()
    return connection


def disconnect() -> None:
    """Forget the tokens (the manager's "disconnect"); the ledger stays."""
    QuickBooksConnection.objects.filter(pk=1).update(
        access_token_encrypted="",
        refresh_token_encrypted="",
        access_token_expires_at=None,
        refresh_token_expires_at=None,
        realm_id="",
    )


def forget_access_token() -> None:
    """Mark the access token stale (QuickBooks answered 401): the next call refreshes."""
    QuickBooksConnection.objects.filter(pk=1).update(access_token_expires_at=None)


def _store_tokens(connection: QuickBooksConnection, client, now: datetime) -> None:
    connection.access_token_encrypted = crypto.encrypt(client.access_token or "")
    connection.refresh_token_encrypted = crypto.encrypt(client.refresh_token or "")
    connection.access_token_expires_at = now + timedelta(seconds=int(client.expires_in or 3600))
    refresh_seconds = int(client.x_refresh_token_expires_in or 100 * 24 * 3600)
    connection.refresh_token_expires_at = now + timedelta(seconds=refresh_seconds)


def _live(connection: QuickBooksConnection, now: datetime) -> bool:
    expires_at = connection.access_token_expires_at
    return bool(
        connection.access_token_encrypted and expires_at and expires_at - EARLY_REFRESH > now
    )


def access_token(*, now: datetime | None = None) -> AccessToken:
    """Return a live access token, refreshing it (once, whatever the concurrency) if needed.

    1. Without a lock: a live token is returned as is (the common case).
    2. Otherwise lock the connection row and read it again: another worker may have just
       refreshed, and its token is used.
    3. Still stale: call Intuit's token endpoint with the stored refresh token, save the new
       access token *and the new refresh token*, commit, release the lock.

    Raises:
        NotConnected: no company connected.
        AccountingError: Intuit refused the refresh token (``permanent``: reconnect on the
            manager page) or did not answer (transient).
    """
    from intuitlib.exceptions import AuthClientError

    now = now or clock_now()
    connection = get_connection()
    if not connection.is_connected:
        raise NotConnected()
    if _live(connection, now):
        return AccessToken(connection.realm_id, crypto.decrypt(connection.access_token_encrypted))
    with transaction.atomic():
        connection = QuickBooksConnection.objects.select_for_update().get(pk=connection.pk)
        if not connection.is_connected:
            raise NotConnected()
        if not _live(connection, now):
            try:
                client = auth_client()
                client.refresh(refresh_token=crypto.decrypt(connection.refresh_token_encrypted))
            except requests.RequestException as error:
                raise AccountingError(
                    f"Intuit did not answer the token refresh: {error}", code="timeout"
                ) from error
            except AuthClientError as error:
                permanent = getattr(error, "status_code", 500) in (400, 401)
                raise AccountingError(
                    f"Intuit refused the token refresh: {error}",
                    permanent=permanent,
                    code="refresh_refused",
                ) from error
            _store_tokens(connection, client, now)
            connection.refresh_count += 1
            connection.save()
        return AccessToken(connection.realm_id, crypto.decrypt(connection.access_token_encrypted))
