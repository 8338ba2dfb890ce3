"""The provider registry, the Stripe client's configuration and membership charges."""

from datetime import date
from decimal import Decimal

import pytest
import stripe
from django.core.exceptions import ImproperlyConfigured

from conftest import make_customer
from coresync.payments.models import Payment, PaymentCustomer, PaymentKind, PaymentStatus
from coresync.payments.providers import get_provider
from coresync.payments.providers.base import OnlinePaymentsDisabled, PaymentProviderError
from coresync.payments.providers.onsite import OnsitePaymentProvider
from coresync.payments.providers.stripe import StripePaymentProvider, from_minor_units
from coresync.payments.services import charge_membership


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


@pytest.mark.django_db
def test_a_membership_period_is_charged_once_to_the_card_on_file(spa, stripe_on, fake_stripe):
    # Given a Premium member (249.00 a month) with a card on file
    member = make_customer("member@example.com", spa.plans["premium"])
    PaymentCustomer.objects.create(
        user=member, provider_customer_id="cus_member", default_payment_method_id="pm_member"
    )
    membership = member.memberships.get()

    # When the period is charged, twice (a retried renewal job)
    first = charge_membership(membership, period_start=date(2026, 12, 1))
    second = charge_membership(membership, period_start=date(2026, 12, 1))

    # Then one charge of 249.00 was made, off-session
    assert first.pk == second.pk
    assert (first.kind, first.amount, first.status) == (
        PaymentKind.MEMBERSHIP,
        Decimal("249.00"),
        PaymentStatus.SUCCEEDED,
    )
    [call] = fake_stripe.intent_requests()
    assert (call.params["amount"], call.params["off_session"], call.idempotency_key) == (
        "24900",
        "true",
        f"payment-{first.uuid}",
    )
    # and the next period is a new charge
    charge_membership(membership, period_start=date(2027, 1, 1))
    assert Payment.objects.filter(membership=membership).count() == 2


@pytest.mark.django_db
def test_membership_charges_need_online_payments(spa):
    member = make_customer("member@example.com", spa.plans["base"])
    with pytest.raises(OnlinePaymentsDisabled):
        charge_membership(member.memberships.get(), period_start=date(2026, 12, 1))
