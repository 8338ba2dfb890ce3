"""Stripe switched on and the fake Stripe API, shared with the payment tests."""

from coresync.payments.tests.conftest import fake_stripe, stripe_on  # noqa: F401
