"""Who may change a booking, and which policy its fees follow (ARCHITECTURE.md "HTTP API"):
only the booking's customer, the front desk and managers cancel or reschedule; fees follow
the tier the booking was made under, not the customer's plan when cancelling."""

from decimal import ROUND_HALF_UP, Decimal

import pytest
import time_machine
from rest_framework.test import APIClient

from conftest import local, make_customer
from coresync.accounts.services import set_role
from coresync.bookings.models import Booking, BookingStatus
from coresync.bookings.tests.test_api import book, login
from coresync.memberships.services import activate_membership, change_plan
from coresync.scheduling.models import Allocation

pytestmark = pytest.mark.django_db


@pytest.fixture
def technician_api(spa, frozen_now):
    """Ana's own account (technician role), signed in."""
    user = make_customer("ana.staff@example.com")
    set_role(user, "technician")
    spa.ana.user = user
    spa.ana.save()
    return login(APIClient(), user)


@pytest.fixture
def guest_booking(spa, customer, frozen_now):
    """A guest's booking with Ana on Wednesday 2026-12-02 at 10:00."""
    response = book(login(APIClient(), customer), technician="ana")
    assert response.status_code == 201, response.content
    return Booking.objects.get(reference=response.json()["reference"])


def _unchanged(booking: Booking) -> None:
    fresh = Booking.objects.get(pk=booking.pk)
    assert (fresh.status, fresh.start, fresh.cancellation_fee) == (
        BookingStatus.CONFIRMED,
        booking.start,
        None,
    )
    assert list(fresh.history.values_list("action", flat=True)) == ["booking.created"]
    assert Allocation.objects.filter(booking=booking, is_active=True).count() == 2


def test_a_technician_sees_their_booking_but_cannot_cancel_it(technician_api, guest_booking):
    url = f"/api/v1/bookings/{guest_booking.reference}/"
    assert technician_api.get(url).status_code == 200
    refused = technician_api.post(url + "cancel/", {}, format="json")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    _unchanged(guest_booking)


def test_a_technician_cannot_reschedule_their_booking(technician_api, guest_booking):
    refused = technician_api.post(
        f"/api/v1/bookings/{guest_booking.reference}/reschedule/",
        {"start": "2026-12-02T13:00:00-05:00"},
        format="json",
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    _unchanged(guest_booking)


def test_front_desk_may_cancel_a_guests_booking(spa, guest_booking):
    desk = make_customer("desk@example.com")
    set_role(desk, "front_desk")
    response = login(APIClient(), desk).post(
        f"/api/v1/bookings/{guest_booking.reference}/cancel/", {}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"


def test_a_plan_switch_does_not_dodge_the_late_fee(spa, frozen_now):
    # Base follows the spa's policy (free until 24 h, 50 % late fee); Unlimited is generous.
    vip_plan = spa.plans["vip"]
    vip_plan.free_cancellation_hours = 0
    vip_plan.late_cancellation_fee_percent = Decimal("0")
    vip_plan.save()
    member = make_customer("switcher@example.com", spa.plans["base"])
    api = login(APIClient(), member)
    created = book(api, start="2026-12-02T10:00:00-05:00")
    assert created.status_code == 201, created.content
    reference = created.json()["reference"]
    total = Decimal(created.json()["price"]["total"])
    with time_machine.travel(local(2026, 12, 1, 12), tick=False):  # 22 h before: inside Base's
        api = login(APIClient(), member)
        switched = api.post("/api/v1/memberships/me/change/", {"plan": "unlimited"}, format="json")
        assert switched.status_code == 200, switched.content
        cancelled = api.post(f"/api/v1/bookings/{reference}/cancel/", {}, format="json")
    assert cancelled.status_code == 200
    assert Decimal(cancelled.json()["cancellation_fee"]) == (total / 2).quantize(
        Decimal("0.01"), ROUND_HALF_UP
    )
    assert Decimal(cancelled.json()["cancellation_fee"]) > 0


def test_the_policy_is_recorded_when_booking(spa, frozen_now):
    member = make_customer("premium2@example.com", spa.plans["premium"])
    spa.plans["premium"].free_cancellation_hours = 2
    spa.plans["premium"].save()
    created = book(login(APIClient(), member))
    booking = Booking.objects.get(reference=created.json()["reference"])
    assert booking.cancellation_policy == {
        "free_until_hours": 2,
        "late_fee_percent": "50.00",
        "no_show_fee_percent": "100.00",
    }


def test_a_technician_sees_the_guests_first_name_only(technician_api, spa, frozen_now):
    guest = make_customer("maria.lopez@example.com")
    guest.name = "Maria Lopez"
    guest.phone = "+15515742281"
    guest.save()
    created = book(login(APIClient(), guest), technician="ana", notes="Left shoulder")
    reference = created.json()["reference"]

    detail = technician_api.get(f"/api/v1/bookings/{reference}/").json()
    schedule = technician_api.get("/api/v1/staff/schedule/", {"date": "2026-12-02"}).json()
    listed = technician_api.get("/api/v1/bookings/").json()

    for seen in (detail, schedule["bookings"][0], listed["results"][0]):
        assert seen["customer"] == {"name": "Maria"}
        assert seen["notes"] == "Left shoulder"
        text = str(seen)
        assert "Lopez" not in text and "maria.lopez@example.com" not in text
        assert "5574" not in text


def test_a_reschedule_keeps_the_price_of_the_plan_booked_under(spa, manager, frozen_now):
    member = make_customer("upgrader@example.com", spa.plans["base"])
    api = login(APIClient(), member)
    created = book(api, start="2026-12-02T10:00:00-05:00")
    base_total = created.json()["price"]["total"]
    membership = member.memberships.get()
    change_plan(member, spa.plans["vip"])
    activate_membership(membership, actor=manager)  # now Unlimited, 40 % off
    assert api.get("/api/v1/me/").json()["tier"] == "vip"

    moved = api.post(
        f"/api/v1/bookings/{created.json()['reference']}/reschedule/",
        {"start": "2026-12-02T13:00:00-05:00"},
        format="json",
    )

    assert moved.status_code == 200, moved.content
    assert moved.json()["price"]["total"] == base_total
    assert moved.json()["tier"] == created.json()["tier"]
