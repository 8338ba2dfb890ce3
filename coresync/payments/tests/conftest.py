"""Fixtures for payment tests: Stripe switched on, the fake Stripe API, signed webhooks."""

import pytest
import responses
from rest_framework.test import APIClient

from coresync.payments.tests.stripe_fake import FakeStripe
from coresync.payments.tests.support import WEBHOOK_SECRET


@pytest.fixture
def stripe_on(settings):
    """Select the Stripe provider with test keys and no SDK retries (no sleeping)."""
    settings.PAYMENT_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_coresync"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_coresync"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.PAYMENT_DEPOSIT_PERCENT = 100
    return settings


@pytest.fixture
def fake_stripe():
    """The fake Stripe API behind ``responses``: every other HTTPS request fails."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeStripe(mock).install()


@pytest.fixture
def api():
    return APIClient()
