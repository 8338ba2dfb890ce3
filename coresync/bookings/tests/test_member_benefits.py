"""Included service credits and the birthday benefit (docs/memberships.md "Credits and the
birthday benefit"): used at booking, given back on a free cancellation or an expired hold,
kept by a late cancellation or a no-show."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine

from conftest import local, make_customer
from coresync.bookings.models import BookingStatus
from coresync.bookings.services import (
    cancel_booking,
    create_booking,
    expire_holds,
    mark_no_show,
    reschedule_booking,
)
from coresync.memberships.models import Membership

pytestmark = pytest.mark.django_db


@pytest.fixture
def vip(spa, frozen_now):
    """An Unlimited member (4 included services a month) in the period December 1 – January
    1, one service used already."""
    user = make_customer("vip-credits@example.com")
    Membership.objects.create(
        customer=user,
        plan=spa.plans["vip"],
        started_on=date(2026, 11, 1),
        current_period_start=date(2026, 12, 1),
        current_period_end=date(2027, 1, 1),
        billing_anchor_day=1,
        credits_used=1,
    )
    return user


def used(user) -> int:
    return Membership.objects.get(customer=user).credits_used


def lines(booking) -> dict[str, str]:
    return {line["code"]: line["amount"] for line in booking.price_lines}


def test_a_credit_brings_the_service_to_zero_and_add_ons_are_still_charged(vip):
    booking = create_booking(
        customer=vip, service="swedish", start=local(2026, 12, 3, 10), addon_slugs=["hot-stones"]
    )

    assert lines(booking) == {
        "base": "100.00",
        "tier_discount": "-40.00",
        "credit": "-60.00",
        "addon:hot-stones": "35.00",
        "subtotal": "35.00",
        "tax": "3.11",  # 35.00 × 8.875% = 3.10625 → half up
        "total": "38.11",
    }
    assert [line["label"] for line in booking.price_lines][2] == "Included credit"
    assert (booking.credits_used, booking.credit_period_start) == (1, date(2026, 12, 1))
    assert used(vip) == 2
    membership = Membership.objects.get(customer=vip)
    assert membership.history.get(action="membership.credit_used").data["booking"] == (
        booking.reference
    )


def test_a_free_cancellation_gives_the_credit_back(vip):
    booking = create_booking(customer=vip, service="swedish", start=local(2026, 12, 3, 10))
    assert booking.total == Decimal("0.00")
    assert used(vip) == 2

    cancel_booking(booking, actor=vip)  # 50 hours ahead: free

    assert used(vip) == 1
    assert (
        Membership.objects.get(customer=vip)
        .history.filter(action="membership.credit_returned")
        .count()
        == 1
    )


def test_a_late_cancellation_keeps_the_credit_used(vip):
    booking = create_booking(customer=vip, service="swedish", start=local(2026, 12, 3, 10))

    with time_machine.travel(local(2026, 12, 3, 6), tick=False):
        cancelled = cancel_booking(booking, actor=vip)

    assert cancelled.status == BookingStatus.CANCELLED
    assert used(vip) == 2


def test_a_no_show_keeps_the_credit_used(vip, manager):
    booking = create_booking(customer=vip, service="swedish", start=local(2026, 12, 3, 10))

    with time_machine.travel(local(2026, 12, 3, 11), tick=False):
        mark_no_show(booking, actor=manager)

    assert used(vip) == 2


def test_an_expired_payment_hold_gives_the_credit_back(vip):
    create_booking(
        customer=vip,
        service="swedish",
        start=local(2026, 12, 3, 10),
        addon_slugs=["cbd-oil"],
        awaiting_payment=True,
    )
    assert used(vip) == 2

    with time_machine.travel(local(2026, 12, 1, 9), tick=False):
        assert expire_holds() == 1

    assert used(vip) == 1


def test_without_credits_left_the_member_pays_the_member_price(vip):
    Membership.objects.filter(customer=vip).update(credits_used=4)

    booking = create_booking(customer=vip, service="swedish", start=local(2026, 12, 3, 10))

    assert "credit" not in lines(booking)
    assert booking.total == Decimal("65.33")  # 60.00 + 8.875% tax
    assert used(vip) == 4


def test_a_booking_for_two_guests_uses_no_credit(vip):
    booking = create_booking(
        customer=vip, service="couples", start=local(2026, 12, 3, 10), guests=2
    )

    assert "credit" not in lines(booking)
    assert used(vip) == 1


def test_a_membership_without_a_billing_period_has_no_credits(vip_member):
    booking = create_booking(
        customer=vip_member,
        service="swedish",
        start=local(2026, 12, 3, 10),
        now=local(2026, 12, 1, 8),
    )

    assert "credit" not in lines(booking)


def test_a_reschedule_keeps_the_credit(vip):
    booking = create_booking(customer=vip, service="swedish", start=local(2026, 12, 3, 10))

    moved = reschedule_booking(booking, start=local(2026, 12, 4, 11), actor=vip)

    assert lines(moved)["credit"] == "-60.00"
    assert moved.total == Decimal("0.00")
    assert used(vip) == 2


def test_a_cancellation_after_the_period_renewed_does_not_touch_the_new_periods_credits(vip):
    booking = create_booking(customer=vip, service="swedish", start=local(2027, 1, 5, 10))
    Membership.objects.filter(customer=vip).update(
        current_period_start=date(2027, 1, 1), current_period_end=date(2027, 2, 1), credits_used=0
    )

    with time_machine.travel(local(2027, 1, 2, 9), tick=False):
        cancel_booking(booking, actor=vip)

    assert used(vip) == 0


# -- the birthday benefit ------------------------------------------------------------------


@pytest.fixture
def birthday_member(spa, frozen_now):
    """A Premium member (no included services) born on December 20, whose plan gives 20%
    off one booking in the birthday month."""
    spa.plans["premium"].birthday_discount_percent = Decimal("20")
    spa.plans["premium"].save()
    user = make_customer("birthday@example.com")
    user.birthday = date(1990, 12, 20)
    user.save()
    Membership.objects.create(
        customer=user,
        plan=spa.plans["premium"],
        started_on=date(2026, 6, 1),
        current_period_start=date(2026, 11, 1),
        current_period_end=date(2026, 12, 1),
        billing_anchor_day=1,
    )
    return user


def test_the_birthday_benefit_applies_once_in_the_birthday_month(birthday_member):
    first = create_booking(
        customer=birthday_member, service="swedish", start=local(2026, 12, 3, 10)
    )
    second = create_booking(
        customer=birthday_member, service="swedish", start=local(2026, 12, 4, 10)
    )

    # Premium: 100.00 − 40% = 60.00; the birthday gift: 20% of 60.00 = 12.00
    assert lines(first)["birthday"] == "-12.00"
    assert first.total == Decimal("52.26")  # 48.00 + 4.26 tax
    assert first.birthday_benefit_year == 2026
    assert "birthday" not in lines(second)
    assert Membership.objects.get(customer=birthday_member).birthday_benefit_year == 2026


def test_the_birthday_benefit_is_not_given_outside_the_birthday_month(birthday_member):
    booking = create_booking(
        customer=birthday_member, service="swedish", start=local(2027, 1, 5, 10)
    )

    assert "birthday" not in lines(booking)


def test_a_free_cancellation_gives_the_birthday_benefit_back(birthday_member):
    first = create_booking(
        customer=birthday_member, service="swedish", start=local(2026, 12, 3, 10)
    )
    cancel_booking(first, actor=birthday_member)

    again = create_booking(
        customer=birthday_member, service="swedish", start=local(2026, 12, 5, 10)
    )

    assert lines(again)["birthday"] == "-12.00"
