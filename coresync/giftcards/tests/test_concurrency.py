"""A gift card redeemed by two bookings at the same instant, on PostgreSQL: the balance never
goes below zero and the two redemptions together take exactly what the card held.

Each redemption runs in its own thread with its own database connection, released together by
a barrier. The conditional UPDATE (``balance = balance - x WHERE balance >=
x``) makes the second writer wait for the first's row lock and then re-check its condition
against the committed balance; the check constraint would refuse a negative balance if it did
not. SQLite serializes write transactions, so it is not raced.
"""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, connections

from conftest import local, make_customer
from coresync.bookings.models import Booking
from coresync.bookings.services import create_booking
from coresync.giftcards import services as giftcards
from coresync.giftcards.models import GiftCard, GiftCardStatus, GiftCardTransaction

pytestmark = [
    pytest.mark.postgresql,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
    pytest.mark.django_db(transaction=True),
]

TIMEOUT = 60


def race(functions) -> list[object]:
    """Run each function in its own thread and connection, released together."""
    barrier = threading.Barrier(len(functions))
    outcomes: list[object] = [None] * len(functions)

    def run(index: int) -> None:
        try:
            connection.ensure_connection()
            barrier.wait(timeout=TIMEOUT)
            outcomes[index] = functions[index]()
        except BaseException as error:  # noqa: BLE001 - asserted on by the test
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(functions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a redemption hung"
    return outcomes


def active_card(amount: str) -> GiftCard:
    return GiftCard.objects.create(
        amount=Decimal(amount),
        balance=Decimal(amount),
        status=GiftCardStatus.ACTIVE,
        recipient_email="friend@example.com",
        deliver_on=date(2026, 12, 1),
    )


def test_two_bookings_redeeming_one_card_at_once_never_take_it_below_zero(spa, frozen_now):
    # A massage (technicians, suites) and a steam session (the steam room): no resource lock
    # in common, two customers, so only the card's own row orders them.
    gift = active_card("150.00")  # less than 108.88 + 43.55
    first, second = make_customer("one@example.com"), make_customer("two@example.com")

    def book(customer, service):
        return lambda: create_booking(
            customer=customer,
            service=service,
            start=local(2026, 12, 3, 10),
            gift_card_code=gift.code,
        )

    outcomes = race([book(first, "swedish"), book(second, "steam")])

    assert all(isinstance(outcome, Booking) for outcome in outcomes), outcomes
    gift.refresh_from_db()
    assert gift.balance == Decimal("0.00")
    assert sum(booking.gift_card_amount for booking in outcomes) == Decimal("150.00")
    assert all(0 < booking.gift_card_amount <= booking.total for booking in outcomes)
    assert sum(GiftCardTransaction.objects.values_list("amount", flat=True)) == Decimal("-150.00")


def test_many_redemptions_of_one_card_at_once_take_exactly_its_balance(spa, frozen_now):
    gift = active_card("100.00")

    def redeem():
        from django.db import transaction

        with transaction.atomic():
            return giftcards.redeem(gift.pk, Decimal("30.00"), booking=None)

    outcomes = race([redeem for _ in range(8)])

    assert all(isinstance(outcome, Decimal) for outcome in outcomes), outcomes
    assert sum(outcomes) == Decimal("100.00")  # 30 + 30 + 30 + 10, the rest nothing
    assert sorted(outcomes, reverse=True)[:4] == [Decimal("30.00")] * 3 + [Decimal("10.00")]
    gift.refresh_from_db()
    assert gift.balance == Decimal("0.00")
