"""The payment provider interface (STYLE.md "Integrations": one documented base class, found
through an explicit registry; pretix's ``BasePaymentProvider`` is the model).

A provider talks to one payment service. It never decides *whether* or *how much* to charge
or refund — :mod:`coresync.payments.services` does, from the booking policy — and it is never
called while a database row lock is held. Every method that creates something at the provider
takes an ``idempotency_key``: the same key reaches the same object however often it is sent.

Amounts are ``Decimal`` in major units (dollars); a provider converts at its own edge.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from coresync.core.errors import DomainError


@dataclass(frozen=True)
class PaymentStart:
    """How the customer pays for a booking.

    ``client_secret``: what Stripe Elements needs to confirm the payment on the page (the
    card number never reaches CoreSync); ``None`` when nothing is paid online (pay at the spa).
    """

    provider: str
    amount: Decimal
    currency: str
    client_secret: str | None = None
    provider_payment_id: str = ""
    provider_customer_id: str = ""
    status: str = "pending"


@dataclass(frozen=True)
class SetupStart:
    """A request to save a card on file: the page confirms it with ``client_secret``."""

    provider: str
    client_secret: str
    publishable_key: str = ""
    provider_setup_id: str = ""


@dataclass(frozen=True)
class ChargeResult:
    """The outcome of charging a saved card. ``status`` is a
    :class:`~coresync.payments.models.PaymentStatus` value."""

    status: str
    provider_payment_id: str = ""
    payment_method_id: str = ""
    failure_code: str = ""
    failure_message: str = ""


@dataclass(frozen=True)
class RefundResult:
    """The outcome of a refund request. ``status`` is a
    :class:`~coresync.payments.models.RefundStatus` value."""

    status: str
    provider_refund_id: str = ""
    failure_message: str = ""


class PaymentProviderError(Exception):
    """A call to the payment provider failed.

    ``permanent``: the same request would fail again (a 4xx other than 409/429: bad request,
    card declined); otherwise it is worth retrying later with the same idempotency key
    (network error, timeout, 5xx, rate limit).
    """

    def __init__(self, message: str, *, permanent: bool = False, code: str = "") -> None:
        super().__init__(message)
        self.permanent = permanent
        self.code = code


class NoCardOnFile(PaymentProviderError):
    """The customer has no saved card to charge."""

    def __init__(self, message: str = "The customer has no card on file.") -> None:
        super().__init__(message, permanent=True, code="no_card_on_file")


class OnlinePaymentsDisabled(DomainError):
    """The spa takes payment at the desk: nothing to pay or save online (409)."""

    code = "online_payments_disabled"
    status = 409
    default_message = "This spa takes payment at the spa; no card is needed online."


class PaymentProviderUnavailable(DomainError):
    """The payment provider could not be reached; the booking keeps its hold, and the same
    request (same ``Idempotency-Key``) may be sent again (503)."""

    code = "payment_provider_unavailable"
    status = 503
    default_message = (
        "Payments are unavailable right now. Your slot is held for a few minutes: "
        "please try again with the same request."
    )


class BasePaymentProvider:
    """What every payment provider does. Subclasses set ``identifier`` (the value of the
    ``PAYMENT_PROVIDER`` setting and of ``Payment.provider``) and ``collects_online``.

    ``collects_online``: True when a booking is paid online before it is confirmed (it is
    created ``pending`` and holds its slot meanwhile); False when the guest pays at the spa
    (the booking is confirmed at once).
    """

    identifier: ClassVar[str]
    verbose_name: ClassVar[str]
    collects_online: ClassVar[bool]

    @classmethod
    def from_settings(cls) -> "BasePaymentProvider":
        """Return the provider configured from Django settings (keys, timeouts)."""
        return cls()

    def ensure_customer(self, user) -> Any:
        """Return the user's :class:`~coresync.payments.models.PaymentCustomer`, creating it
        (and the customer at the provider) when missing; ``None`` if the provider keeps no
        customers."""
        raise NotImplementedError

    def create_setup_intent(self, user, *, idempotency_key: str) -> SetupStart:
        """Start saving a card on file for ``user`` (confirmed on the page).

        Raises:
            OnlinePaymentsDisabled, PaymentProviderError.
        """
        raise NotImplementedError

    def start_booking_payment(
        self,
        booking,
        amount: Decimal,
        *,
        idempotency_key: str,
        metadata: dict[str, str] | None = None,
    ) -> PaymentStart:
        """Ask for ``amount`` (a deposit or the total) for ``booking``; the customer pays on
        the page with the returned ``client_secret``. Offline providers return a start
        without a secret (pay at the spa).

        Raises:
            PaymentProviderError.
        """
        raise NotImplementedError

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
        """Ask ``user`` for ``amount`` on the page (a membership's first month, a gift card),
        keeping the card on file for later off-session charges (renewals).

        Raises:
            OnlinePaymentsDisabled, PaymentProviderError.
        """
        raise NotImplementedError

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
        """Charge ``amount`` to ``user``'s saved card without them present (a no-show or late
        cancellation fee, a membership period). A declined card is a result with status
        ``failed``, not an exception.

        Raises:
            NoCardOnFile, OnlinePaymentsDisabled, PaymentProviderError (transient).
        """
        raise NotImplementedError

    def setup_state(self, setup_intent_id: str) -> dict[str, Any]:
        """Return a SetupIntent as a plain dict (``status``, ``customer``,
        ``payment_method``).

        Raises:
            OnlinePaymentsDisabled, PaymentProviderError.
        """
        raise NotImplementedError

    def payment_state(self, payment) -> dict[str, Any]:
        """Return the provider's current view of ``payment`` as a plain dict (Stripe: the
        PaymentIntent: ``id``, ``status``, ``client_secret``, ``amount``…).

        Raises:
            OnlinePaymentsDisabled, PaymentProviderError.
        """
        raise NotImplementedError

    def confirm_with_card_on_file(
        self, payment, *, return_url: str, idempotency_key: str
    ) -> dict[str, Any]:
        """Confirm ``payment`` (created for the page) with the customer's card on file, the
        customer present (one-tap); return the payment's state as :meth:`payment_state`.
        The bank may still ask for 3-D Secure (``requires_action``): the page then finishes
        it with the client secret.

        Raises:
            NoCardOnFile, OnlinePaymentsDisabled, PaymentProviderError.
        """
        raise NotImplementedError

    def refund(
        self,
        payment,
        amount: Decimal,
        *,
        idempotency_key: str,
        reason: str = "",
        metadata: dict[str, str] | None = None,
    ) -> RefundResult:
        """Give back ``amount`` of the captured ``payment``.

        Raises:
            OnlinePaymentsDisabled, PaymentProviderError.
        """
        raise NotImplementedError

    def cancel_payment(self, payment, *, idempotency_key: str) -> str:
        """Cancel a payment the customer has not completed (its booking was cancelled or
        expired) and return its status afterwards (``canceled``, or ``succeeded`` when the
        customer paid meanwhile: the success webhook then refunds).

        Raises:
            PaymentProviderError.
        """
        raise NotImplementedError
