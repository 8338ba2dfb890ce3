"""Booking life cycle: cancel with policy, reschedule, check in, complete, no-show, payment
holds (SPEC §4)."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine

from conftest import local, make_customer
from coresync.bookings.errors import InvalidTransition, TooLate
from coresync.bookings.models import Booking, BookingStatus
from coresync.bookings.policy import can_cancel, can_reschedule
from coresync.bookings.services import (
    cancel_booking,
    check_in_booking,
    complete_booking,
    confirm_booking,
    create_booking,
    expire_holds,
    mark_no_show,
    reschedule_booking,
)
from coresync.core.errors import Forbidden
from coresync.scheduling.errors import OutsideBookingWindow, SlotUnavailable
from coresync.scheduling.models import Allocation
from factories import BookingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking(spa, customer, frozen_now):
    """A non-member's Swedish massage on Thursday 2026-12-03 at 10:00 (total 108.88)."""
    return BookingFactory(customer=customer)


def test_cancel_more_than_24_hours_ahead_is_free_and_frees_the_slot(booking, customer, frozen_now):
    cancelled = cancel_booking(booking, actor=customer)
    assert cancelled.status == BookingStatus.CANCELLED
    assert cancelled.cancellation_fee == Decimal("0.00")
    assert not Allocation.objects.filter(booking=booking, is_active=True).exists()
    assert list(cancelled.history.values_list("action", flat=True)) == [
        "booking.created",
        "booking.cancelled",
    ]
    again = create_booking(
        customer=customer, service="swedish", start=local(2026, 12, 3, 10), technician="ana"
    )
    assert again.technician.slug == "ana"


def test_cancel_inside_the_window_charges_the_late_fee(booking, customer):
    # 23 hours before the start: inside "free until 24 h before"; fee 50% of 108.88.
    with time_machine.travel(local(2026, 12, 2, 11), tick=False):
        assert can_cancel(booking, local(2026, 12, 2, 11))
        cancelled = cancel_booking(booking, actor=customer)
    assert cancelled.cancellation_fee == Decimal("54.44")


def test_free_window_is_elapsed_time_exactly_24_hours(booking, customer):
    with time_machine.travel(local(2026, 12, 2, 10), tick=False):
        cancelled = cancel_booking(booking, actor=customer)
    assert cancelled.cancellation_fee == Decimal("0.00")


def test_plan_policy_overrides_the_spa_policy(spa, frozen_now):
    plan = spa.plans["premium"]
    plan.free_cancellation_hours = 2
    plan.save()
    member = make_customer("p@example.com", plan)
    booking = create_booking(customer=member, service="swedish", start=local(2026, 12, 3, 10))
    with time_machine.travel(local(2026, 12, 3, 7, 30), tick=False):
        assert cancel_booking(booking, actor=member).cancellation_fee == Decimal("0.00")


def test_only_a_manager_may_waive_the_fee(booking, customer, manager):
    with time_machine.travel(local(2026, 12, 3, 9), tick=False):
        with pytest.raises(Forbidden):
            cancel_booking(booking, actor=customer, waive_fee=True)
        assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CONFIRMED
        cancelled = cancel_booking(booking, actor=manager, waive_fee=True)
    assert cancelled.cancellation_fee == Decimal("0.00") and cancelled.fee_waived


def test_cannot_cancel_after_the_start_or_twice(booking, customer):
    with time_machine.travel(local(2026, 12, 3, 10, 5), tick=False):
        assert not can_cancel(booking, local(2026, 12, 3, 10, 5))
        with pytest.raises(TooLate):
            cancel_booking(booking, actor=customer)
    with time_machine.travel(local(2026, 12, 1, 9), tick=False):
        cancel_booking(booking, actor=customer)
        with pytest.raises(InvalidTransition):
            cancel_booking(booking, actor=customer)


def test_reschedule_keeps_reference_moves_allocations_and_logs(booking, customer, frozen_now):
    moved = reschedule_booking(booking, start=local(2026, 12, 3, 14), actor=customer)
    assert moved.reference == booking.reference
    assert moved.start == local(2026, 12, 3, 14) and moved.reschedule_count == 1
    active = Allocation.objects.filter(booking=booking, is_active=True)
    assert {a.starts_at for a in active} == {local(2026, 12, 3, 14)}
    entry = moved.history.get(action="booking.rescheduled")
    assert entry.data["from"]["start"] == "2026-12-03T15:00:00+00:00"
    # The old time is free again.
    other = make_customer("o@example.com")
    assert create_booking(
        customer=other, service="swedish", start=local(2026, 12, 3, 10), technician=moved.technician
    )


def test_reschedule_may_overlap_its_own_old_time(booking, customer, frozen_now):
    moved = reschedule_booking(
        booking, start=local(2026, 12, 3, 10, 30), actor=customer, technician=booking.technician
    )
    assert moved.start == local(2026, 12, 3, 10, 30)


def test_reschedule_applies_the_same_rules_as_booking(booking, customer, frozen_now):
    with pytest.raises(OutsideBookingWindow):
        reschedule_booking(booking, start=local(2026, 12, 10, 10), actor=customer)
    other = make_customer("o@example.com")
    create_booking(customer=other, service="swedish", start=local(2026, 12, 3, 14))
    create_booking(
        customer=other, service="swedish", start=local(2026, 12, 3, 14), guest_name="Friend"
    )
    with pytest.raises(SlotUnavailable):
        reschedule_booking(booking, start=local(2026, 12, 3, 14), actor=customer)
    assert Booking.objects.get(pk=booking.pk).start == local(2026, 12, 3, 10)
    assert Allocation.objects.filter(booking=booking, is_active=True).count() == 2


def test_reschedule_closes_at_the_free_cancellation_cutoff(booking, customer, manager):
    with time_machine.travel(local(2026, 12, 2, 11), tick=False):
        assert not can_reschedule(booking, local(2026, 12, 2, 11))
        with pytest.raises(TooLate):
            reschedule_booking(booking, start=local(2026, 12, 3, 14), actor=customer)
        moved = reschedule_booking(booking, start=local(2026, 12, 3, 14), actor=manager)
    assert moved.start == local(2026, 12, 3, 14)


def test_check_in_complete_and_wrong_transitions(booking, customer, manager):
    with time_machine.travel(local(2026, 12, 3, 9, 55), tick=False):
        with pytest.raises(InvalidTransition):
            complete_booking(booking, actor=manager)
        started = check_in_booking(booking, actor=manager)
        assert started.status == BookingStatus.IN_PROGRESS
        with pytest.raises(InvalidTransition):
            check_in_booking(booking, actor=manager)
        with pytest.raises(InvalidTransition):
            cancel_booking(booking, actor=customer)
    with time_machine.travel(local(2026, 12, 3, 11), tick=False):
        done = complete_booking(booking, actor=manager)
    assert done.status == BookingStatus.COMPLETED
    assert list(done.history.values_list("to_status", flat=True)) == [
        "confirmed",
        "in_progress",
        "completed",
    ]


def test_no_show_only_after_the_start_with_fee(booking, manager):
    with time_machine.travel(local(2026, 12, 3, 9), tick=False), pytest.raises(InvalidTransition):
        mark_no_show(booking, actor=manager)
    with time_machine.travel(local(2026, 12, 3, 10, 20), tick=False):
        missed = mark_no_show(booking, actor=manager)
    assert missed.status == BookingStatus.NO_SHOW
    assert missed.cancellation_fee == Decimal("108.88")
    assert not missed.allocations.filter(is_active=True).exists()


def test_pending_booking_holds_its_slot_for_15_minutes(spa, customer, frozen_now):
    start = local(2026, 12, 3, 10)
    pending = create_booking(
        customer=customer, service="swedish", start=start, technician="ana", awaiting_payment=True
    )
    assert pending.status == BookingStatus.PENDING
    assert pending.hold_expires_at == frozen_now + timedelta(minutes=15)
    other = make_customer("o@example.com")
    with pytest.raises(SlotUnavailable):
        create_booking(customer=other, service="swedish", start=start, technician="ana")

    with time_machine.travel(frozen_now + timedelta(minutes=15), tick=False):
        # The hold has run out: the slot is bookable even before the expiry job runs.
        taken = create_booking(customer=other, service="swedish", start=start, technician="ana")
    assert taken.status == BookingStatus.CONFIRMED
    assert Booking.objects.get(pk=pending.pk).status == BookingStatus.EXPIRED
    with pytest.raises(InvalidTransition):
        confirm_booking(pending)


def test_confirm_within_the_hold_and_expire_job(spa, customer, frozen_now):
    first = create_booking(
        customer=customer, service="swedish", start=local(2026, 12, 3, 10), awaiting_payment=True
    )
    second = create_booking(
        customer=customer, service="swedish", start=local(2026, 12, 3, 12), awaiting_payment=True
    )
    confirmed = confirm_booking(first)
    assert confirmed.status == BookingStatus.CONFIRMED and confirmed.hold_expires_at is None
    assert not first.allocations.filter(expires_at__isnull=False).exists()
    with time_machine.travel(frozen_now + timedelta(minutes=16), tick=False):
        assert expire_holds() == 1
        assert expire_holds() == 0
    assert Booking.objects.get(pk=second.pk).status == BookingStatus.EXPIRED
    assert not second.allocations.filter(is_active=True).exists()


def test_late_payment_after_hold_expiry_is_refused(spa, customer, frozen_now):
    pending = create_booking(
        customer=customer, service="swedish", start=local(2026, 12, 3, 10), awaiting_payment=True
    )
    with (
        time_machine.travel(frozen_now + timedelta(minutes=20), tick=False),
        pytest.raises(SlotUnavailable),
    ):
        confirm_booking(pending)
    assert Booking.objects.get(pk=pending.pk).status == BookingStatus.EXPIRED
