"""Helpers for payment tests: Stripe-signed webhook deliveries and running payment jobs."""

import hashlib
import hmac
import itertools
import json
import time
from typing import Any

import stripe

from coresync.notifications.outbox import dispatch_due
from coresync.payments.jobs import SETTLE_BOOKING

WEBHOOK_SECRET = "whsec_test_secret_for_coresync"
WEBHOOK_URL = "/api/v1/payments/stripe/webhook/"
_event_ids = itertools.count(1)


def sign(payload: str, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """Return a ``Stripe-Signature`` header computed as Stripe does:
    ``t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<payload>" keyed by the endpoint secret>``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(
        secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={digest}"


def make_event(event_type: str, data_object: dict[str, Any], event_id: str | None = None) -> str:
    """Return the JSON body of a Stripe event as Stripe sends it."""
    return json.dumps(
        {
            "id": event_id or f"evt_test_{next(_event_ids):05d}",
            "object": "event",
            "api_version": stripe.api_version,
            "created": int(time.time()),
            "livemode": False,
            "pending_webhooks": 1,
            "type": event_type,
            "data": {"object": data_object},
        }
    )


def deliver(client, body: str, signature: str | None = None):
    """POST an event to the webhook endpoint, signed unless ``signature`` is given."""
    return client.generic(
        "POST",
        WEBHOOK_URL,
        body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(body) if signature is None else signature,
    )


def run_payment_jobs() -> int:
    """Run the due payment outbox jobs now (the dispatcher's work); return how many ran."""
    return dispatch_due(topics=[SETTLE_BOOKING])
