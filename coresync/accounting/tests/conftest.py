from datetime import timedelta

import pytest
import responses

from coresync.accounting.models import IncomeAccountMapping, QuickBooksConnection
from coresync.accounting.tests.quickbooks_fake import REALM, FakeQuickBooks
from coresync.core import crypto
from coresync.core.clock import now as clock_now


@pytest.fixture
def quickbooks_on(settings):
    settings.QUICKBOOKS_PROVIDER = "quickbooks"
    settings.QUICKBOOKS_CLIENT_ID = "client-id"
    settings.QUICKBOOKS_CLIENT_SECRET = "client-secret"
    settings.QUICKBOOKS_ENVIRONMENT = "sandbox"


@pytest.fixture
def fake_quickbooks():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeQuickBooks(mock).install()


@pytest.fixture
def connected(db):
    """A connected company whose access token is live for an hour."""
    return QuickBooksConnection.objects.create(
        pk=1,
        realm_id=REALM,
        access_token_encrypted=crypto.encrypt("access-0"),
        refresh_token_encrypted=crypto.encrypt("refresh-0"),
        access_token_expires_at=clock_now() + timedelta(hours=1),
        refresh_token_expires_at=clock_now() + timedelta(days=100),
    )


@pytest.fixture
def mapping(db):
    """Massage services sell as item 1, add-ons as item 2, anything else as item 9."""
    for category, item in (("service:massage", "1"), ("addon", "2"), ("default", "9")):
        IncomeAccountMapping.objects.create(
            category=category, account_id=f"4{item}", account_name=f"Income {item}", item_id=item
        )
