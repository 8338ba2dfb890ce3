"""Gift cards and packages (docs/gift-cards.md): sold through the API with the payment and the
delivery email through the outbox, redeemed at booking (partial balance kept), given back
on a free cancellation; packages of N services redeemed like credits."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError, transaction

from conftest import local
from coresync.bookings.models import Booking, BookingStatus
from coresync.bookings.services import cancel_booking, create_booking
from coresync.core.errors import InvalidInput, InvalidTransition
from coresync.giftcards.models import (
    GiftCard,
    GiftCardStatus,
    Package,
    PackagePurchase,
)
from coresync.notifications.jobs import drain
from coresync.notifications.models import OutboxMessage
from coresync.notifications.outbox import dispatch_due
from coresync.payments.giftcards import refund_gift_card, refund_package
from coresync.payments.models import Payment, PaymentKind, Refund
from coresync.payments.purchases import REFUND_PURCHASE
from coresync.payments.services import settle_booking
from coresync.payments.tests.support import deliver, make_event

pytestmark = pytest.mark.django_db


def card(amount: str = "50.00", balance: str | None = None) -> GiftCard:
    return GiftCard.objects.create(
        amount=Decimal(amount),
        balance=Decimal(balance or amount),
        status=GiftCardStatus.ACTIVE,
        recipient_email="friend@example.com",
        deliver_on=date(2026, 12, 1),
    )


def test_selling_a_gift_card_online_emails_it_on_its_day_once_paid(
    api, customer, frozen_now, stripe_on, fake_stripe
):
    api.force_authenticate(customer)

    response = api.post(
        "/api/v1/gift-cards/",
        {
            "amount": "150.00",
            "recipient_email": "Maya@Example.com",
            "recipient_name": "Maya",
            "sender_name": "Sam",
            "message": "Happy birthday!",
            "deliver_on": "2026-12-24",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["balance"], body["payment"]["amount"]) == (
        "pending",
        "0.00",
        "150.00",
    )
    assert body["payment"]["client_secret"].startswith("pi_")
    assert "-" in body["code"] and body["code"].startswith("••••")  # never the full code
    payment = Payment.objects.get(kind=PaymentKind.GIFT_CARD)

    # Paid on the page: the webhook activates it (twice delivered: once)
    intent = fake_stripe.set_intent_status(payment.provider_payment_id, "succeeded")
    event = make_event("payment_intent.succeeded", intent, event_id="evt_gift")
    assert deliver(api, event).status_code == 200
    assert deliver(api, event).json()["status"] == "duplicate"
    assert deliver(api, make_event("payment_intent.succeeded", intent)).status_code == 200
    gift = GiftCard.objects.get()
    assert (gift.status, gift.balance) == (GiftCardStatus.ACTIVE, Decimal("150.00"))
    delivery = OutboxMessage.objects.get(payload__kind="gift_card_delivery")
    assert delivery.available_at == local(2026, 12, 24, 9)

    # Not before its day (the buyer's receipt goes at once); on the day, to the recipient,
    # with the code and the message
    drain()
    assert not [m for m in mail.outbox if "gift card for you" in m.subject.lower()]
    assert [m.to for m in mail.outbox] == [["guest@example.com"]]  # the receipt
    with time_machine.travel(local(2026, 12, 24, 9, 1), tick=False):
        drain()
    gift_emails = [m for m in mail.outbox if "gift card for you" in m.subject.lower()]
    assert len(gift_emails) == 1
    assert gift_emails[0].to == ["Maya@Example.com"]
    assert gift.code in gift_emails[0].body and "Happy birthday!" in gift_emails[0].body
    assert "Sam" in gift_emails[0].subject


def test_a_gift_card_out_of_range_is_refused(api, customer, frozen_now):
    api.force_authenticate(customer)
    response = api.post(
        "/api/v1/gift-cards/",
        {"amount": "5.00", "recipient_email": "a@example.com"},
        format="json",
    )
    assert response.status_code == 400
    assert "amount" in response.json()["error"]["fields"]


def test_a_gift_card_pays_part_of_a_booking_and_the_rest_is_paid_online(
    api, customer, frozen_now, stripe_on, fake_stripe
):
    gift = card("50.00")
    api.force_authenticate(customer)

    response = api.post(
        "/api/v1/bookings/",
        {
            "service": "swedish",
            "start": "2026-12-02T10:00:00-05:00",
            "gift_card": gift.code.lower(),
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="gift-1",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["price"]["total"], body["gift_card_amount"], body["payment"]["amount"]) == (
        "108.88",
        "50.00",
        "58.88",
    )
    gift.refresh_from_db()
    assert gift.balance == Decimal("0.00")
    assert fake_stripe.intent_requests()[0].params["amount"] == "5888"


def test_a_larger_card_pays_it_all_keeps_the_rest_and_the_booking_needs_no_payment(
    api, customer, frozen_now, stripe_on, fake_stripe
):
    gift = card("200.00")
    api.force_authenticate(customer)

    first = api.post(
        "/api/v1/bookings/",
        {"service": "swedish", "start": "2026-12-02T10:00:00-05:00", "gift_card": gift.code},
        format="json",
        HTTP_IDEMPOTENCY_KEY="gift-2",
    ).json()

    assert (first["status"], first["gift_card_amount"]) == ("confirmed", "108.88")
    gift.refresh_from_db()
    assert gift.balance == Decimal("91.12")  # the rest stays on the card
    assert fake_stripe.intent_requests() == []
    assert list(gift.transactions.values_list("amount", "balance_after")) == [
        (Decimal("-108.88"), Decimal("91.12"))
    ]


def test_a_free_cancellation_puts_the_money_back_on_the_card(customer, frozen_now):
    gift = card("80.00")
    booking = create_booking(
        customer=customer, service="swedish", start=local(2026, 12, 3, 10), gift_card_code=gift.code
    )
    assert booking.gift_card_amount == Decimal("80.00")

    cancel_booking(booking, actor=customer)
    settle_booking(booking.pk)
    settle_booking(booking.pk)  # a job run twice gives back once

    gift.refresh_from_db()
    assert gift.balance == Decimal("80.00")


def test_a_late_cancellation_keeps_what_the_fee_needs_from_the_card(customer, frozen_now):
    gift = card("200.00")
    booking = create_booking(
        customer=customer, service="swedish", start=local(2026, 12, 2, 10), gift_card_code=gift.code
    )  # 26 hours ahead; 108.88 from the card

    with time_machine.travel(local(2026, 12, 1, 20), tick=False):
        cancel_booking(booking, actor=customer)  # 14 hours ahead: fee 50% = 54.44
        drain()

    gift.refresh_from_db()
    assert gift.balance == Decimal("91.12") + Decimal("54.44")


def test_an_unknown_or_unpaid_code_is_refused(customer, frozen_now):
    pending = card("50.00", "0.00")
    GiftCard.objects.filter(pk=pending.pk).update(status=GiftCardStatus.PENDING)

    for code in ("NOPE-NOPE-NOPE-NOPE", pending.code):
        with pytest.raises(InvalidInput):
            create_booking(
                customer=customer,
                service="swedish",
                start=local(2026, 12, 3, 10),
                gift_card_code=code,
            )
    assert Booking.objects.count() == 0


def test_the_database_refuses_a_negative_balance(frozen_now, spa):
    from django.db.models import F

    gift = card("20.00")
    with pytest.raises(IntegrityError), transaction.atomic():
        GiftCard.objects.filter(pk=gift.pk).update(balance=F("balance") - Decimal("20.01"))


def test_the_balance_is_checked_by_code(api, customer, frozen_now):
    gift = card("75.00", "12.50")
    api.force_authenticate(customer)

    response = api.post("/api/v1/gift-cards/balance/", {"code": gift.code}, format="json")

    assert response.json() == {
        "code": gift.masked_code,
        "balance": "12.50",
        "currency": "USD",
        "status": "active",
    }


# -- packages --------------------------------------------------------------------------------


@pytest.fixture
def five_massages(spa):
    return Package.objects.create(
        slug="five-swedish",
        name="Five Swedish massages",
        service=spa.swedish,
        minutes=60,
        sessions=5,
        price=Decimal("450.00"),
    )


def test_a_package_bought_and_paid_is_redeemed_like_a_credit(
    api, customer, frozen_now, stripe_on, fake_stripe, five_massages
):
    api.force_authenticate(customer)
    assert api.get("/api/v1/packages/").json()[0]["slug"] == "five-swedish"

    bought = api.post("/api/v1/packages/five-swedish/buy/")
    assert bought.status_code == 201, bought.content
    assert bought.json()["payment"]["amount"] == "450.00"
    payment = Payment.objects.get(kind=PaymentKind.PACKAGE)
    intent = fake_stripe.set_intent_status(payment.provider_payment_id, "succeeded")
    deliver(api, make_event("payment_intent.succeeded", intent))
    purchase = PackagePurchase.objects.get()
    assert (purchase.status, purchase.expires_on) == ("active", date(2027, 12, 1))

    booking = create_booking(
        customer=customer, service="swedish", start=local(2026, 12, 3, 10), addon_slugs=["cbd-oil"]
    )

    lines = {line["code"]: line for line in booking.price_lines}
    assert lines["package"]["label"] == "Package session: Five Swedish massages"
    assert lines["package"]["amount"] == "-100.00"
    assert booking.total == Decimal("27.22")  # the CBD oil 25.00 + tax
    purchase.refresh_from_db()
    assert purchase.sessions_left == 4
    assert api.get("/api/v1/packages/mine/").json()[0]["sessions_left"] == 4

    cancel_booking(booking, actor=customer)  # free: the session comes back
    purchase.refresh_from_db()
    assert purchase.sessions_left == 5


def test_an_unknown_or_withdrawn_package_is_404_and_nothing_is_bought(
    api, customer, frozen_now, stripe_on, five_massages
):
    api.force_authenticate(customer)
    unknown = api.post("/api/v1/packages/ten-facials/buy/")
    assert unknown.status_code == 404, unknown.content
    assert unknown.json()["error"]["code"] == "not_found"

    five_massages.is_active = False
    five_massages.save(update_fields=["is_active"])
    withdrawn = api.post("/api/v1/packages/five-swedish/buy/")
    assert withdrawn.status_code == 404, withdrawn.content
    assert not PackagePurchase.objects.exists()
    assert not Payment.objects.exists()


def test_a_package_for_another_service_is_not_used(customer, frozen_now, five_massages):
    PackagePurchase.objects.create(
        customer=customer,
        package=five_massages,
        sessions_total=5,
        sessions_left=5,
        price=Decimal("450.00"),
        status="active",
        expires_on=date(2027, 12, 1),
    )

    booking = create_booking(
        customer=customer, service="swedish", start=local(2026, 12, 3, 10), duration_minutes=90
    )

    assert "package" not in {line["code"] for line in booking.price_lines}
    assert Booking.objects.get().status == BookingStatus.CONFIRMED


def test_a_gift_card_purchase_is_listed_with_the_customers_payments(api, customer, frozen_now):
    api.force_authenticate(customer)
    api.post(
        "/api/v1/gift-cards/",
        {"amount": "90.00", "recipient_email": "friend@example.com"},
        format="json",
    )

    # (every answer is checked against the OpenAPI schema: a null booking must be allowed)
    listed = api.get("/api/v1/payments/").json()["results"]

    assert [(row["kind"], row["booking"], row["amount"]) for row in listed] == [
        ("gift_card", None, "90.00")
    ]


def _paid_online(api, fake_stripe, payment: Payment) -> None:
    intent = fake_stripe.set_intent_status(payment.provider_payment_id, "succeeded")
    deliver(api, make_event("payment_intent.succeeded", intent))


def test_an_unused_gift_card_is_refunded_in_full_once_and_voided(
    api, customer, manager, frozen_now, stripe_on, fake_stripe
):
    api.force_authenticate(customer)
    api.post(
        "/api/v1/gift-cards/",
        {"amount": "120.00", "recipient_email": "maya@example.com", "deliver_on": "2026-12-24"},
        format="json",
    )
    payment = Payment.objects.get(kind=PaymentKind.GIFT_CARD)
    _paid_online(api, fake_stripe, payment)
    gift = GiftCard.objects.get()

    refund_gift_card(gift, actor=manager)
    dispatch_due(topics=[REFUND_PURCHASE])
    dispatch_due(topics=[REFUND_PURCHASE])

    gift.refresh_from_db()
    assert (gift.status, gift.balance) == (GiftCardStatus.VOID, Decimal("0.00"))
    assert [r.params["amount"] for r in fake_stripe.refund_requests()] == ["12000"]
    assert Refund.objects.get().status == "succeeded"
    # Its email, due on the 24th, is not sent any more
    delivery = OutboxMessage.objects.get(payload__kind="gift_card_delivery")
    assert delivery.status == "cancelled"
    with pytest.raises(InvalidTransition):
        refund_gift_card(gift, actor=manager)
    assert len(fake_stripe.refund_requests()) == 1


def test_a_spent_gift_card_is_not_refunded(customer, manager, frozen_now):
    spent = card("50.00", balance="20.00")

    with pytest.raises(InvalidTransition):
        refund_gift_card(spent, actor=manager)

    spent.refresh_from_db()
    assert (spent.status, spent.balance) == (GiftCardStatus.ACTIVE, Decimal("20.00"))
    assert Refund.objects.count() == 0


def test_an_unused_package_is_refunded_and_a_used_one_is_not(
    api, customer, manager, frozen_now, stripe_on, fake_stripe, five_massages
):
    api.force_authenticate(customer)
    api.post("/api/v1/packages/five-swedish/buy/")
    api.post("/api/v1/packages/five-swedish/buy/")
    first, second = PackagePurchase.objects.order_by("pk")
    for payment in Payment.objects.filter(kind=PaymentKind.PACKAGE):
        _paid_online(api, fake_stripe, payment)
    PackagePurchase.objects.filter(pk=second.pk).update(sessions_left=4)  # one session used

    refund_package(first, actor=manager)
    with pytest.raises(InvalidTransition):
        refund_package(second, actor=manager)
    dispatch_due(topics=[REFUND_PURCHASE])

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.sessions_left) == (GiftCardStatus.VOID, 0)
    assert (second.status, second.sessions_left) == (GiftCardStatus.ACTIVE, 4)
    assert [r.params["amount"] for r in fake_stripe.refund_requests()] == ["45000"]
