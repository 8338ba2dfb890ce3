"""The provider registry, the Stripe client's configuration and membership charges."""

from decimal import Decimal

import pytest
import stripe
from django.core.exceptions import ImproperlyConfigured

from coresync.payments.providers import get_provider
from coresync.payments.providers.base import PaymentProviderError
from coresync.payments.providers.onsite import OnsitePaymentProvider
from coresync.payments.providers.stripe import StripePaymentProvider, from_minor_units


def test_pay_at_the_spa_is_the_default():
    provider = get_provider()
    assert isinstance(provider, OnsitePaymentProvider)
    assert provider.collects_online is False


def test_stripe_is_chosen_by_settings_with_explicit_timeout_and_retries(stripe_on):
    stripe_on.STRIPE_TIMEOUT_SECONDS = 7.5
    stripe_on.STRIPE_MAX_NETWORK_RETRIES = 3

    provider = get_provider()

    assert isinstance(provider, StripePaymentProvider)
    assert provider.collects_online is True
    http_client = provider.client._requestor._client
    assert isinstance(http_client, stripe.RequestsClient)
    assert http_client._timeout == 7.5
    assert provider.client._requestor._options.max_network_retries == 3


def test_an_unknown_provider_fails_loudly(settings):
    settings.PAYMENT_PROVIDER = "cash-in-an-envelope"
    with pytest.raises(ImproperlyConfigured, match="cash-in-an-envelope"):
        get_provider()


def test_stripe_without_a_secret_key_refuses_to_start(stripe_on):
    stripe_on.STRIPE_SECRET_KEY = ""
    with pytest.raises(PaymentProviderError, match="STRIPE_SECRET_KEY"):
        get_provider()


@pytest.mark.parametrize(
    ("cents", "amount"), [(10888, Decimal("108.88")), (1, Decimal("0.01")), (0, Decimal("0.00"))]
)
def test_minor_units_convert_back_exactly(cents, amount):
    assert from_minor_units(cents) == amount
