"""Pay at the spa: the offline default. Nothing is charged online; the booking is confirmed
at once and the front desk takes payment (and any fee) in person."""

from decimal import Decimal

from coresync.payments.providers.base import (
    BasePaymentProvider,
    ChargeResult,
    OnlinePaymentsDisabled,
    PaymentStart,
    RefundResult,
    SetupStart,
)


class OnsitePaymentProvider(BasePaymentProvider):
    """The guest pays at the desk; no customer, card or call to any service."""

    identifier = "onsite"
    verbose_name = "Pay at the spa"
    collects_online = False

    def ensure_customer(self, user) -> None:
        return None

    def create_setup_intent(self, user, *, idempotency_key: str) -> SetupStart:
        raise OnlinePaymentsDisabled()

    def start_booking_payment(
        self,
        booking,
        amount: Decimal,
        *,
        idempotency_key: str,
        metadata: dict[str, str] | None = None,
    ) -> PaymentStart:
        return PaymentStart(
            provider=self.identifier, amount=amount, currency=booking.currency, client_secret=None
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
        return PaymentStart(provider=self.identifier, amount=amount, currency=currency)

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
        raise OnlinePaymentsDisabled("Fees are collected at the spa.")

    def setup_state(self, setup_intent_id: str) -> dict:
        raise OnlinePaymentsDisabled()

    def payment_state(self, payment) -> dict:
        raise OnlinePaymentsDisabled()

    def confirm_with_card_on_file(self, payment, *, return_url: str, idempotency_key: str):
        raise OnlinePaymentsDisabled()

    def refund(
        self,
        payment,
        amount: Decimal,
        *,
        idempotency_key: str,
        reason: str = "",
        metadata: dict[str, str] | None = None,
    ) -> RefundResult:
        raise OnlinePaymentsDisabled("Payments taken at the spa are refunded at the spa.")

    def cancel_payment(self, payment, *, idempotency_key: str) -> str:
        raise OnlinePaymentsDisabled()
