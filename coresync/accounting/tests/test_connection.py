"""The QuickBooks connection: tokens encrypted at rest, refreshed once, every new refresh
token kept (intuit-oauth against a recorded-behaviour fake of Intuit's token endpoint)."""

import time
from datetime import timedelta

import pytest
from django.db import connection

from coresync.accounting.connection import access_token, complete_authorization
from coresync.accounting.models import QuickBooksConnection
from coresync.accounting.tests.quickbooks_fake import REALM, TOKEN_URL
from coresync.core import crypto
from racing import run_together

pytestmark = pytest.mark.django_db


def expire_access_token(row: QuickBooksConnection, now) -> None:
    QuickBooksConnection.objects.filter(pk=row.pk).update(
        access_token_expires_at=now - timedelta(minutes=1)
    )


def test_authorization_stores_both_tokens_encrypted(db, frozen_now, quickbooks_on, fake_quickbooks):
    row = complete_authorization("auth-code", REALM, "https://spa.example/callback/")

    assert fake_quickbooks.token_requests == [
        {
            "grant_type": ["authorization_code"],
            "code": ["auth-code"],
            "redirect_uri": ["https://spa.example/callback/"],
        }
    ]
    row.refresh_from_db()
    assert row.realm_id == REALM
    assert "access-1" not in row.access_token_encrypted
    assert "refresh-1" not in row.refresh_token_encrypted
    assert crypto.decrypt(row.refresh_token_encrypted) == "refresh-1"
    assert row.access_token_expires_at == frozen_now + timedelta(hours=1)


def test_a_live_access_token_is_used_without_calling_intuit(
    frozen_now, quickbooks_on, fake_quickbooks, connected
):
    assert access_token().token == "access-0"
    assert fake_quickbooks.token_requests == []


def test_a_stale_access_token_is_refreshed_and_the_new_refresh_token_saved(
    frozen_now, quickbooks_on, fake_quickbooks, connected
):
    expire_access_token(connected, frozen_now)

    token = access_token()
    again = access_token()

    assert (token.token, again.token) == ("access-1", "access-1")
    assert [request["refresh_token"] for request in fake_quickbooks.token_requests] == [
        ["refresh-0"]
    ]
    connected.refresh_from_db()
    assert crypto.decrypt(connected.refresh_token_encrypted) == "refresh-1"
    assert connected.refresh_count == 1


@pytest.mark.postgresql
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_spend_the_refresh_token_once(quickbooks_on, fake_quickbooks, connected):
    # Given a stale access token and a slow token endpoint
    from coresync.core.clock import now as clock_now

    expire_access_token(connected, clock_now())
    real = fake_quickbooks._token

    def slow_token(request):
        time.sleep(0.3)
        return real(request)

    fake_quickbooks.mock.remove("POST", TOKEN_URL)
    fake_quickbooks.mock.add_callback("POST", TOKEN_URL, callback=slow_token)

    # When four workers need a token at once
    outcomes = run_together(4, lambda index: access_token().token)

    # Then Intuit was asked once, everyone got the new token, and the new refresh token is kept
    assert outcomes == ["access-1"] * 4, outcomes
    assert len(fake_quickbooks.token_requests) == 1
    connected.refresh_from_db()
    assert crypto.decrypt(connected.refresh_token_encrypted) == "refresh-1"
