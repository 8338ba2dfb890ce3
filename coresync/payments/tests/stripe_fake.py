"""A small stand-in for api.stripe.com, served through ``responses`` to the real SDK.

The SDK (``stripe`` ≥ 11) sends its requests with ``requests`` (``stripe.RequestsClient``),
so ``responses`` intercepts them at the transport: the SDK's encoding, headers, idempotency
keys, retries and error parsing all run for real, and no request leaves the machine (an
unregistered URL raises ``ConnectionError``).

The fake keeps objects in memory and honours ``Idempotency-Key`` the way Stripe does (same key
→ the first answer again), and records every request so tests can assert on what was sent.
"""

import itertools
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import responses

API = "https://api.stripe.com"


@dataclass
class StripeRequest:
    method: str
    path: str
    params: dict[str, str]
    idempotency_key: str | None
    authorization: str


@dataclass
class FakeStripe:
    """In-memory Stripe: customers, payment and setup intents, refunds."""

    mock: responses.RequestsMock
    requests: list[StripeRequest] = field(default_factory=list)
    intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    setup_intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    answers_by_key: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    failures: list[tuple[str, int, dict[str, Any]]] = field(default_factory=list)
    decline_off_session: str | None = None
    confirm_outcome: str = "succeeded"
    """What confirming an intent with a saved card does: ``succeeded``, ``requires_action``
    (3-D Secure) or a decline code such as ``card_declined``."""
    counter: itertools.count = field(default_factory=lambda: itertools.count(1))
    request_ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def install(self) -> "FakeStripe":
        routes = [
            ("POST", r"/v1/customers$", self._create_customer),
            ("POST", r"/v1/payment_intents$", self._create_intent),
            ("POST", r"/v1/payment_intents/(?P<id>[^/]+)/cancel$", self._cancel_intent),
            ("POST", r"/v1/payment_intents/(?P<id>[^/]+)/confirm$", self._confirm_intent),
            ("GET", r"/v1/payment_intents/(?P<id>[^/]+)$", self._get_intent),
            ("POST", r"/v1/setup_intents$", self._create_setup_intent),
            ("GET", r"/v1/setup_intents/(?P<id>[^/]+)$", self._get_setup_intent),
            ("POST", r"/v1/refunds$", self._create_refund),
        ]
        for method, pattern, handler in routes:
            self.mock.add_callback(
                method,
                re.compile(re.escape(API) + pattern),
                callback=self._wrap(pattern, handler),
                content_type="application/json",
            )
        return self

    # -- what tests look at ---------------------------------------------------------------

    def posts(self, path_prefix: str) -> list[StripeRequest]:
        """Return the POSTs whose path starts with ``path_prefix`` (e.g. ``/v1/refunds``)."""
        return [r for r in self.requests if r.method == "POST" and r.path.startswith(path_prefix)]

    def refund_requests(self) -> list[StripeRequest]:
        return self.posts("/v1/refunds")

    def intent_requests(self) -> list[StripeRequest]:
        return [r for r in self.posts("/v1/payment_intents") if r.path == "/v1/payment_intents"]

    def fail_once(self, path: str, status: int = 500, message: str = "Stripe is down") -> None:
        """Make the next request to ``path`` answer ``status`` (before any idempotent replay,
        as when the request never reached Stripe)."""
        kind = "api_error" if status >= 500 else "invalid_request_error"
        self.failures.append((path, status, {"error": {"type": kind, "message": message}}))

    def set_intent_status(self, intent_id: str, status: str, **changes: Any) -> dict[str, Any]:
        """Move an intent as the customer's browser would (e.g. paid → ``succeeded``)."""
        intent = self.intents[intent_id]
        intent["status"] = status
        if status == "succeeded":
            intent["amount_received"] = intent["amount"]
        intent.update(changes)
        return dict(intent)

    # -- plumbing -------------------------------------------------------------------------

    def _wrap(self, pattern: str, handler):
        def callback(request):
            path = request.path_url.split("?")[0]
            body = request.body or ""
            if isinstance(body, bytes):
                body = body.decode()
            params = dict(parse_qsl(body, keep_blank_values=True))
            key = request.headers.get("Idempotency-Key")
            self.requests.append(
                StripeRequest(
                    request.method, path, params, key, request.headers.get("Authorization", "")
                )
            )
            for index, (failing_path, status, payload) in enumerate(self.failures):
                if failing_path == path:
                    del self.failures[index]
                    return status, {}, json.dumps(payload)
            if key and key in self.answers_by_key:
                status, payload = self.answers_by_key[key]
                return status, {"Idempotent-Replayed": "true"}, json.dumps(payload)
            match = re.search(pattern, path)
            status, payload = handler(params, **match.groupdict())
            if key and request.method == "POST":
                self.answers_by_key[key] = (status, payload)
            return status, {"Request-Id": f"req_{next(self.request_ids)}"}, json.dumps(payload)

        return callback

    def _id(self, prefix: str) -> str:
        return f"{prefix}_{next(self.counter):04d}"

    def _create_customer(self, params):
        return 200, {"id": self._id("cus"), "object": "customer", "email": params.get("email")}

    def _create_intent(self, params):
        intent_id = self._id("pi")
        metadata = {
            key[len("metadata[") : -1]: value
            for key, value in params.items()
            if key.startswith("metadata[")
        }
        intent = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": int(params["amount"]),
            "amount_received": 0,
            "currency": params["currency"],
            "customer": params.get("customer"),
            "client_secret": f"{intent_id}_secret_test",
            "status": "requires_payment_method",
            "payment_method": params.get("payment_method"),
            "setup_future_usage": params.get("setup_future_usage"),
            "metadata": metadata,
        }
        if params.get("confirm") == "true":
            if self.decline_off_session:
                intent["status"] = "requires_payment_method"
                self.intents[intent_id] = intent
                return 402, {
                    "error": {
                        "type": "card_error",
                        "code": self.decline_off_session,
                        "message": "Your card was declined.",
                        "payment_intent": intent,
                    }
                }
            intent["status"] = "succeeded"
            intent["amount_received"] = intent["amount"]
        self.intents[intent_id] = intent
        return 200, intent

    def _confirm_intent(self, params, id):
        intent = self.intents[id]
        intent["payment_method"] = params.get("payment_method") or intent.get("payment_method")
        if self.confirm_outcome == "succeeded":
            intent["status"] = "succeeded"
            intent["amount_received"] = intent["amount"]
        elif self.confirm_outcome == "requires_action":
            intent["status"] = "requires_action"
            intent["next_action"] = {"type": "use_stripe_sdk"}
        else:
            intent["status"] = "requires_payment_method"
            return 402, {
                "error": {
                    "type": "card_error",
                    "code": self.confirm_outcome,
                    "message": "Your card was declined.",
                    "payment_intent": dict(intent),
                }
            }
        return 200, dict(intent)

    def _get_intent(self, params, id):
        return 200, self.intents[id]

    def _cancel_intent(self, params, id):
        intent = self.intents[id]
        if intent["status"] in ("succeeded", "canceled"):
            return 400, {
                "error": {
                    "type": "invalid_request_error",
                    "code": "payment_intent_unexpected_state",
                    "message": f"This PaymentIntent's status is {intent['status']}.",
                }
            }
        intent["status"] = "canceled"
        return 200, intent

    def _create_setup_intent(self, params):
        setup_id = self._id("seti")
        self.setup_intents[setup_id] = {
            "id": setup_id,
            "object": "setup_intent",
            "client_secret": f"{setup_id}_secret_test",
            "customer": params.get("customer"),
            "status": "requires_payment_method",
            "payment_method": None,
        }
        return 200, dict(self.setup_intents[setup_id])

    def _get_setup_intent(self, params, id):
        return 200, dict(self.setup_intents[id])

    def set_setup_status(self, setup_id: str, status: str, **changes: Any) -> dict[str, Any]:
        """Move a SetupIntent as the customer's browser would (card saved → ``succeeded``)."""
        self.setup_intents[setup_id].update(status=status, **changes)
        return dict(self.setup_intents[setup_id])

    def _create_refund(self, params):
        intent = self.intents[params["payment_intent"]]
        refunded = sum(
            refund["amount"]
            for refund in self.refunds.values()
            if refund["payment_intent"] == intent["id"]
        )
        amount = int(params.get("amount", intent["amount_received"] - refunded))
        if intent["status"] != "succeeded" or refunded + amount > intent["amount_received"]:
            return 400, {
                "error": {
                    "type": "invalid_request_error",
                    "code": "charge_already_refunded",
                    "message": "Refund amount exceeds the charge.",
                }
            }
        refund_id = self._id("re")
        refund = {
            "id": refund_id,
            "object": "refund",
            "amount": amount,
            "payment_intent": intent["id"],
            "status": "succeeded",
            "metadata": {
                key[len("metadata[") : -1]: value
                for key, value in params.items()
                if key.startswith("metadata[")
            },
        }
        self.refunds[refund_id] = refund
        return 200, refund
