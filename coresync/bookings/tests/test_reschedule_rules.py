"""Reschedule keeps the booked technician(s) and the booking's recorded tier (issue 18 item 3,
issue 19 item 3, ARCHITECTURE.md "HTTP API")."""

from datetime import date
from decimal import Decimal

import pytest

from conftest import add_hours, local, make_customer
from coresync.bookings.models import Booking
from coresync.bookings.services import (
    ANY_TECHNICIAN,
    create_booking,
    preview_reschedule,
    reschedule_booking,
)
from coresync.memberships.models import Membership
from coresync.resources.models import Technician
from coresync.scheduling.errors import SlotUnavailable
from coresync.scheduling.models import Allocation

pytestmark = pytest.mark.django_db


def technicians_of(booking: Booking) -> set[str]:
    return set(
        Allocation.objects.filter(
            booking=booking, is_active=True, technician__isnull=False
        ).values_list("technician__slug", flat=True)
    )


@pytest.fixture
def with_ben(spa, customer, frozen_now):
    """The customer's Swedish massage with Ben on Thursday 2026-12-03 at 10:00."""
    return create_booking(
        customer=customer, service="swedish", start=local(2026, 12, 3, 10), technician="ben"
    )


def test_reschedule_keeps_the_booked_technician_when_free(with_ben, customer, frozen_now):
    # given Ana is free at 14:00 too and the engine would pick her first
    moved = reschedule_booking(with_ben, start=local(2026, 12, 3, 14), actor=customer)

    assert moved.technician.slug == "ben"
    assert technicians_of(moved) == {"ben"}
    assert moved.history.get(action="booking.rescheduled").data["from"]["technicians"] == ["ben"]


def test_kept_technician_busy_at_the_new_start_is_refused_and_nothing_changes(
    with_ben, customer, frozen_now
):
    other = make_customer("other@example.com")
    create_booking(
        customer=other, service="swedish", start=local(2026, 12, 3, 14), technician="ben"
    )

    with pytest.raises(SlotUnavailable):
        reschedule_booking(with_ben, start=local(2026, 12, 3, 14), actor=customer)

    unchanged = Booking.objects.get(pk=with_ben.pk)
    assert (unchanged.start, unchanged.technician.slug) == (local(2026, 12, 3, 10), "ben")
    assert unchanged.reschedule_count == 0
    assert technicians_of(unchanged) == {"ben"}
    assert not unchanged.history.filter(action="booking.rescheduled").exists()


def test_any_lets_the_engine_choose_and_a_slug_picks_another(with_ben, customer, frozen_now):
    other = make_customer("other@example.com")
    create_booking(
        customer=other, service="swedish", start=local(2026, 12, 3, 14), technician="ben"
    )

    moved = reschedule_booking(
        with_ben, start=local(2026, 12, 3, 14), actor=customer, technician=ANY_TECHNICIAN
    )
    assert moved.technician.slug == "ana"

    back = reschedule_booking(
        moved, start=local(2026, 12, 3, 15, 30), actor=customer, technician="ben"
    )
    assert back.technician.slug == "ben" and technicians_of(back) == {"ben"}


def test_a_couples_booking_keeps_both_technicians(spa, customer, frozen_now):
    cleo = Technician.objects.create(slug="cleo", name="Cleo", skills=["massage"])
    add_hours(cleo, "09:00", "17:00")
    couples = create_booking(
        customer=customer, service="couples", start=local(2026, 12, 3, 10), guests=2
    )
    booked = technicians_of(couples)
    assert len(booked) == 2
    # the one technician not booked is busy at 14:00: the engine would not need her anyway,
    # so make one of the booked ones busy instead
    busy = sorted(booked)[0]
    other = make_customer("other@example.com")
    create_booking(customer=other, service="swedish", start=local(2026, 12, 3, 14), technician=busy)

    with pytest.raises(SlotUnavailable):
        reschedule_booking(couples, start=local(2026, 12, 3, 14), actor=customer)
    assert technicians_of(Booking.objects.get(pk=couples.pk)) == booked

    kept = reschedule_booking(couples, start=local(2026, 12, 3, 15, 30), actor=customer)
    assert technicians_of(kept) == booked


def test_reschedule_keeps_the_recorded_tier_price_after_joining(spa, customer, frozen_now):
    # given a non-member's booking (100.00 + 8.875% tax = 108.88)
    booking = create_booking(customer=customer, service="swedish", start=local(2026, 12, 3, 10))
    assert booking.total == Decimal("108.88")
    # when the customer joins Premium (40% off) and moves the booking
    Membership.objects.create(
        customer=customer, plan=spa.plans["premium"], started_on=date(2026, 12, 1)
    )
    moved = reschedule_booking(booking, start=local(2026, 12, 3, 14), actor=customer)

    # then the booking keeps its non-member tier and price
    assert moved.total == Decimal("108.88")
    assert (moved.tier, moved.customer_tier) == ("non_member", "non_member")
    assert Booking.objects.get(pk=booking.pk).total == Decimal("108.88")


def test_reschedule_keeps_a_member_price_after_the_membership_ends(spa, frozen_now):
    member = make_customer("base@example.com", spa.plans["base"])
    booking = create_booking(customer=member, service="swedish", start=local(2026, 12, 3, 10))
    assert booking.total == Decimal("76.21")  # 100 - 30% = 70.00 + tax
    Membership.objects.filter(customer=member).update(ends_on=date(2026, 11, 30))

    moved = reschedule_booking(booking, start=local(2026, 12, 3, 14), actor=member)

    assert moved.total == Decimal("76.21")
    assert moved.tier == "member_standard"


def test_preview_shows_the_move_and_writes_nothing(with_ben, customer, frozen_now):
    plan = preview_reschedule(with_ben, start=local(2026, 12, 3, 14), actor=customer)

    assert plan.slot.start == local(2026, 12, 3, 14)
    assert plan.technician_slugs == ("ben",) and plan.kept_technicians
    assert plan.quote.total == Decimal("108.88") and plan.price_difference == Decimal("0.00")
    unchanged = Booking.objects.get(pk=with_ben.pk)
    assert unchanged.start == local(2026, 12, 3, 10) and unchanged.reschedule_count == 0

    other = preview_reschedule(
        with_ben, start=local(2026, 12, 3, 14), actor=customer, technician=ANY_TECHNICIAN
    )
    assert other.technician_slugs == ("ana",) and not other.kept_technicians
