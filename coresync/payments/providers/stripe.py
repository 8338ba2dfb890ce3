"""Stripe, through the official ``stripe`` SDK (SPEC §5).

- One :class:`stripe.StripeClient` per secret key, with explicit timeouts and a bounded number
  of network retries (``STRIPE_TIMEOUT_SECONDS``, ``STRIPE_MAX_NETWORK_RETRIES``); the SDK's
  ``requests`` client does the HTTP.
- Every POST carries an idempotency key derived from the CoreSync row it is for, so a retry
  (by the SDK, a worker, or a customer pressing "pay" twice) reaches the same Stripe object.
- Card numbers never reach CoreSync: the page confirms PaymentIntents and SetupIntents with
  Stripe Elements using the client secret returned here.
"""

import logging
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from typing import Any

import stripe
from django.conf import settings
from django.db import transaction

from coresync.core.money import HUNDRED, quantize, to_minor_units
from coresync.payments.models import (
    PaymentCustomer,
    PaymentProviderName,
    PaymentStatus,
    RefundStatus,
)
from coresync.payments.providers.base import (
    BasePaymentProvider,
    ChargeResult,
    NoCardOnFile,
    PaymentProviderError,
    PaymentStart,
    RefundResult,
    SetupStart,
)

logger = logging.getLogger(__name__)

INTENT_STATUSES = {
    "requires_payment_method": PaymentStatus.PENDING,
    "requires_confirmation": PaymentStatus.PENDING,
    "requires_action": PaymentStatus.PENDING,
    "processing": PaymentStatus.PROCESSING,
    "requires_capture": PaymentStatus.PROCESSING,
    "succeeded": PaymentStatus.SUCCEEDED,
    "canceled": PaymentStatus.CANCELED,
}
"""Stripe PaymentIntent status → :class:`PaymentStatus`."""

REFUND_STATUSES = {
    "pending": RefundStatus.PENDING,
    "requires_action": RefundStatus.PENDING,
    "succeeded": RefundStatus.SUCCEEDED,
    "failed": RefundStatus.FAILED,
    "canceled": RefundStatus.CANCELED,
}
"""Stripe Refund status → :class:`RefundStatus`."""


def from_minor_units(amount: int) -> Decimal:
    """Convert Stripe's integer cents back to a USD ``Decimal`` (``10888`` → ``108.88``)."""
    return quantize(Decimal(amount) / HUNDRED)


def intent_status(stripe_status: str) -> str:
    """Map a PaymentIntent status to a :class:`PaymentStatus` (unknown → pending)."""
    return INTENT_STATUSES.get(stripe_status, PaymentStatus.PENDING)


def refund_status(stripe_status: str) -> str:
    """Map a Refund status to a :class:`RefundStatus` (unknown → pending)."""
    return REFUND_STATUSES.get(stripe_status, RefundStatus.PENDING)


@lru_cache(maxsize=4)
def _client(secret_key: str, timeout: float, max_network_retries: int) -> stripe.StripeClient:
    """Return one client per configuration, so its HTTP sessions (one per thread) are reused."""
    return stripe.StripeClient(
        secret_key,
        http_client=stripe.RequestsClient(timeout=timeout),
        max_network_retries=max_network_retries,
    )


def _is_permanent(error: stripe.StripeError) -> bool:
    """Tell whether retrying ``error``'s request can only fail again: a 4xx other than a
    conflict (409, an idempotent request still in flight) or a rate limit (429)."""
    if isinstance(error, stripe.APIConnectionError) or error.http_status is None:
        return False
    return 400 <= error.http_status < 500 and error.http_status not in (409, 429)


class StripePaymentProvider(BasePaymentProvider):
    """Payments online with Stripe: customers, cards on file, PaymentIntents, refunds."""

    identifier = PaymentProviderName.STRIPE.value
    verbose_name = "Stripe"
    collects_online = True

    def __init__(
        self,
        *,
        secret_key: str,
        publishable_key: str = "",
        timeout: float = 10.0,
        max_network_retries: int = 2,
    ) -> None:
        if not secret_key:
            raise PaymentProviderError(
                "STRIPE_SECRET_KEY is not set: Stripe cannot be used.", permanent=True
            )
        self.publishable_key = publishable_key
        self.client = _client(secret_key, float(timeout), int(max_network_retries))

    @classmethod
    def from_settings(cls) -> "StripePaymentProvider":
        return cls(
            secret_key=settings.STRIPE_SECRET_KEY,
            publishable_key=settings.STRIPE_PUBLISHABLE_KEY,
            timeout=settings.STRIPE_TIMEOUT_SECONDS,
            max_network_retries=settings.STRIPE_MAX_NETWORK_RETRIES,
        )

    # -- calls -----------------------------------------------------------------------------

    def _post(
        self,
        method: Callable[..., Any],
        *args: Any,
        params: dict[str, Any],
        idempotency_key: str,
    ) -> Any:
        """Call a POST method of the SDK with ``params`` and the idempotency key; turn the
        SDK's errors (except card errors, which callers handle) into PaymentProviderError."""
        try:
            return method(*args, params=params, options={"idempotency_key": idempotency_key})
        except stripe.CardError:
            raise
        except stripe.StripeError as error:
            permanent = _is_permanent(error)
            logger.warning(
                "Stripe call failed (%s, status %s, request %s, %s): %s",
                type(error).__name__,
                error.http_status,
                error.request_id,
                "permanent" if permanent else "transient",
                error.user_message or error,
            )
            raise PaymentProviderError(
                str(error.user_message or "The payment service refused the request."),
                permanent=permanent,
                code=error.code or "",
            ) from error

    # -- customers and cards ---------------------------------------------------------------

    def ensure_customer(self, user) -> PaymentCustomer:
        """Return the user's PaymentCustomer, creating the Stripe customer once.

        The row is written first; its UUID keys the creation, so two concurrent callers (or
        a retry after a crash) get the same Stripe customer.
        """
        with transaction.atomic():
            customer, _ = PaymentCustomer.objects.get_or_create(
                user=user, defaults={"provider": self.identifier}
            )
        if customer.provider_customer_id:
            return customer
        created = self._post(
            self.client.v1.customers.create,
            params={
                "email": user.email,
                "name": user.name,
                "metadata": {"coresync_user": str(user.pk)},
            },
            idempotency_key=f"customer-{customer.uuid}",
        )
        PaymentCustomer.objects.filter(pk=customer.pk, provider_customer_id="").update(
            provider_customer_id=created.id
        )
        customer.refresh_from_db()
        return customer

    def create_setup_intent(self, user, *, idempotency_key: str) -> SetupStart:
        customer = self.ensure_customer(user)
        intent = self._post(
            self.client.v1.setup_intents.create,
            params={
                "customer": customer.provider_customer_id,
                "usage": "off_session",
                "automatic_payment_methods": {"enabled": True},
                "metadata": {"coresync_user": str(user.pk)},
            },
            idempotency_key=idempotency_key,
        )
        return SetupStart(
            provider=self.identifier,
            client_secret=intent.client_secret,
            publishable_key=self.publishable_key,
            provider_setup_id=intent.id,
        )

    # -- payments --------------------------------------------------------------------------

    def start_booking_payment(
        self,
        booking,
        amount: Decimal,
        *,
        idempotency_key: str,
        metadata: dict[str, str] | None = None,
    ) -> PaymentStart:
        """Create the booking's PaymentIntent. The card used is saved for later fees
        (``setup_future_usage=off_session``): the policy's no-show and late-cancellation
        fees are charged to it."""
        params: dict[str, Any] = {
            "amount": to_minor_units(amount),
            "currency": booking.currency.lower(),
            "automatic_payment_methods": {"enabled": True},
            "description": f"{booking.service.name} {booking.reference}",
            "metadata": {"coresync_booking": booking.reference, **(metadata or {})},
        }
        customer_id = ""
        if booking.customer_id:
            customer_id = self.ensure_customer(booking.customer).provider_customer_id
            params["customer"] = customer_id
            params["setup_future_usage"] = "off_session"
        intent = self._post(
            self.client.v1.payment_intents.create, params=params, idempotency_key=idempotency_key
        )
        return PaymentStart(
            provider=self.identifier,
            amount=amount,
            currency=booking.currency,
            client_secret=intent.client_secret,
            provider_payment_id=intent.id,
            provider_customer_id=customer_id,
            status=intent_status(intent.status),
        )

    def start_customer_payment(
        self,
        user,
        amount: Decimal,
        *,
        currency: str,
        description: str,
        idempotency_key: str,
        metadata: dict[str, str] | None = None,
    ) -> PaymentStart:
        """Create a PaymentIntent the customer confirms on the page (Payment Element, 3-D
        Secure included); its card is kept for off-session charges (renewals)."""
        customer_id = self.ensure_customer(user).provider_customer_id
        intent = self._post(
            self.client.v1.payment_intents.create,
            params={
                "amount": to_minor_units(amount),
                "currency": currency.lower(),
                "customer": customer_id,
                "setup_future_usage": "off_session",
                "automatic_payment_methods": {"enabled": True},
                "description": description[:1000],
                "metadata": metadata or {},
            },
            idempotency_key=idempotency_key,
        )
        return PaymentStart(
            provider=self.identifier,
            amount=amount,
            currency=currency,
            client_secret=intent.client_secret,
            provider_payment_id=intent.id,
            provider_customer_id=customer_id,
            status=intent_status(intent.status),
        )

    def charge_card_on_file(
        self,
        user,
        amount: Decimal,
        *,
        currency: str,
        description: str,
        idempotency_key: str,
        metadata: dict[str, str] | None = None,
    ) -> ChargeResult:
        customer = PaymentCustomer.objects.filter(user=user).first()
        if customer is None or not customer.has_card_on_file:
            raise NoCardOnFile()
        try:
            intent = self._post(
                self.client.v1.payment_intents.create,
                params={
                    "amount": to_minor_units(amount),
                    "currency": currency.lower(),
                    "customer": customer.provider_customer_id,
                    "payment_method": customer.default_payment_method_id,
                    "off_session": True,
                    "confirm": True,
                    "description": description[:1000],
                    "metadata": metadata or {},
                },
                idempotency_key=idempotency_key,
            )
        except stripe.CardError as error:
            # Declined, or the bank wants the customer present (authentication_required).
            intent = getattr(error.error, "payment_intent", None)
            intent_id = getattr(intent, "id", "") or ""
            logger.info("Card on file declined (%s) for user %s", error.code, user.pk)
            return ChargeResult(
                status=PaymentStatus.FAILED,
                provider_payment_id=intent_id,
                payment_method_id=customer.default_payment_method_id,
                failure_code=error.code or "card_declined",
                failure_message=str(error.user_message or "The card was declined.")[:500],
            )
        return ChargeResult(
            status=intent_status(intent.status),
            provider_payment_id=intent.id,
            payment_method_id=customer.default_payment_method_id,
        )

    def setup_state(self, setup_intent_id: str) -> dict[str, Any]:
        try:
            intent = self.client.v1.setup_intents.retrieve(setup_intent_id)
        except stripe.StripeError as error:
            raise PaymentProviderError(
                str(error.user_message or error), permanent=_is_permanent(error)
            ) from error
        return intent.to_dict()

    def payment_state(self, payment) -> dict[str, Any]:
        try:
            intent = self.client.v1.payment_intents.retrieve(payment.provider_payment_id)
        except stripe.StripeError as error:
            raise PaymentProviderError(
                str(error.user_message or error), permanent=_is_permanent(error)
            ) from error
        return intent.to_dict()

    def confirm_with_card_on_file(
        self, payment, *, return_url: str, idempotency_key: str
    ) -> dict[str, Any]:
        customer = PaymentCustomer.objects.filter(user_id=payment.customer_id).first()
        if customer is None or not customer.has_card_on_file:
            raise NoCardOnFile()
        try:
            intent = self._post(
                self.client.v1.payment_intents.confirm,
                payment.provider_payment_id,
                params={
                    "payment_method": customer.default_payment_method_id,
                    "return_url": return_url,
                },
                idempotency_key=idempotency_key,
            )
        except stripe.CardError as error:
            intent = getattr(error.error, "payment_intent", None)
            state = intent.to_dict() if intent is not None else {"id": payment.provider_payment_id}
            state.setdefault("status", "requires_payment_method")
            state["last_payment_error"] = {
                "code": error.code or "card_declined",
                "message": str(error.user_message or "The card was declined."),
            }
            return state
        return intent.to_dict()

    def refund(
        self,
        payment,
        amount: Decimal,
        *,
        idempotency_key: str,
        reason: str = "",
        metadata: dict[str, str] | None = None,
    ) -> RefundResult:
        refund = self._post(
            self.client.v1.refunds.create,
            params={
                "payment_intent": payment.provider_payment_id,
                "amount": to_minor_units(amount),
                "reason": "requested_by_customer",
                "metadata": {
                    "coresync_payment": str(payment.uuid),
                    "coresync_reason": reason,
                    **(metadata or {}),
                },
            },
            idempotency_key=idempotency_key,
        )
        return RefundResult(
            status=refund_status(refund.status),
            provider_refund_id=refund.id,
            failure_message=str(getattr(refund, "failure_reason", None) or ""),
        )

    def cancel_payment(self, payment, *, idempotency_key: str) -> str:
        try:
            intent = self._post(
                self.client.v1.payment_intents.cancel,
                payment.provider_payment_id,
                params={"cancellation_reason": "abandoned"},
                idempotency_key=idempotency_key,
            )
        except PaymentProviderError as error:
            if not error.permanent:
                raise
            # Not cancelable any more: most likely paid meanwhile. Report what Stripe says.
            try:
                intent = self.client.v1.payment_intents.retrieve(payment.provider_payment_id)
            except stripe.StripeError as retrieve_error:
                raise PaymentProviderError(str(retrieve_error)) from retrieve_error
        return intent_status(intent.status)
