"""Time off over existing bookings (issue 11 item 4; ARCHITECTURE.md "needs_reassignment"):
the bookings are kept with the status ``needs_reassignment``, the customer and the managers
are told through the outbox, the manager sees them with the technicians free then, and a
reassignment (a reschedule with another technician, same start) or a free cancellation
clears it. The engine never offers the absent technician."""

from datetime import date, time
from decimal import Decimal

import pytest
from django.core import mail

from conftest import local
from coresync.bookings.services import cancel_booking, create_booking, reschedule_booking
from coresync.memberships.selectors import non_member_access
from coresync.notifications.jobs import dispatch_outbox
from coresync.notifications.models import OutboxMessage
from coresync.resources.models import AvailabilityException, ExceptionKind, Room
from coresync.resources.services import (
    add_room_maintenance,
    add_technician_exception,
    delete_exception,
)
from coresync.scheduling.selectors import build_availability_request, get_availability
from coresync.spa.selectors import get_settings
from coresync.staff.errors import InvalidTransition
from coresync.staff.selectors import reassignment_queue
from coresync.staff.services import reassign_booking
from coresync.staff.tests.conftest import api_as

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_bookings(spa, customer, frozen_now):
    """Ana has the guest's 10:00 and 14:00 massages on Thursday 2026-12-03."""
    morning = create_booking(
        customer=customer, service="swedish", start=local(2026, 12, 3, 10), technician="ana"
    )
    afternoon = create_booking(
        customer=customer, service="swedish", start=local(2026, 12, 3, 14), technician="ana"
    )
    return morning, afternoon


def statuses(*bookings) -> list[str]:
    for booking in bookings:
        booking.refresh_from_db()
    return [booking.status for booking in bookings]


def test_a_day_off_over_two_bookings_marks_both_and_reassigning_one_clears_it(
    spa, two_bookings, boss, frozen_now
):
    morning, afternoon = two_bookings

    # when a manager gives Ana the day off through the resources service (the API's)
    add_technician_exception(spa.ana, {"date": "2026-12-03", "kind": "day_off"})

    # then both bookings are kept, waiting for another technician
    assert statuses(morning, afternoon) == ["needs_reassignment", "needs_reassignment"]
    assert morning.allocations.filter(is_active=True).count() == 2  # time and room kept
    entry = morning.history.get(action="booking.needs_reassignment")
    assert entry.data == {"absent_technicians": ["ana"]}
    assert (entry.from_status, entry.to_status) == ("confirmed", "needs_reassignment")

    # when the manager moves the morning one to Ben at the same start
    reassign_booking(morning, technician="ben", actor=boss)

    # then it is confirmed again with Ben; the afternoon one still waits
    assert statuses(morning, afternoon) == ["confirmed", "needs_reassignment"]
    assert morning.technician == spa.ben
    assert morning.start == local(2026, 12, 3, 10)
    moved = morning.history.get(action="booking.rescheduled")
    assert (moved.from_status, moved.to_status) == ("needs_reassignment", "confirmed")


def test_cancelling_a_booking_that_waits_is_free_even_inside_the_late_window(
    spa, customer, frozen_now
):
    # given a booking at 13:00 today (inside the 24 h window: normally a late fee)
    booking = create_booking(
        customer=customer, service="swedish", start=local(2026, 12, 1, 13), technician="ana"
    )
    add_technician_exception(
        spa.ana, {"date": "2026-12-01", "kind": "sick_leave", "start": "12:00", "end": "17:00"}
    )
    assert statuses(booking) == ["needs_reassignment"]

    # when the customer cancels
    cancel_booking(booking, actor=customer)

    # then nothing is charged
    booking.refresh_from_db()
    assert booking.status == "cancelled"
    assert booking.cancellation_fee == Decimal("0.00")


def test_the_customer_and_every_manager_are_told_through_the_outbox(
    spa, two_bookings, boss, frozen_now
):
    _morning, _afternoon = two_bookings
    mail.outbox.clear()
    OutboxMessage.objects.all().delete()

    AvailabilityException.objects.create(
        technician=spa.ana,
        kind=ExceptionKind.VACATION,
        date=date(2026, 12, 2),
        end_date=date(2026, 12, 4),
    )

    kinds = sorted(row.payload["kind"] for row in OutboxMessage.objects.all())
    assert kinds == [
        "booking_needs_reassignment",
        "booking_needs_reassignment",
        "reassignment_needed",
        "reassignment_needed",
    ]
    dispatch_outbox()
    by_recipient = {(message.to[0], message.subject) for message in mail.outbox}
    assert (
        "guest@example.com",
        "Your Swedish Massage on Thursday, December 3, 2026: your therapist is unavailable",
    ) in by_recipient
    assert (
        "boss@example.com",
        "To reassign: Swedish Massage on Thursday, December 3, 2026 at 10:00 AM EST",
    ) in by_recipient
    customer_mail = next(m for m in mail.outbox if m.to == ["guest@example.com"])
    assert "Ana cannot be at the spa" in customer_mail.body
    assert "cancel it free of charge" in customer_mail.body
    manager_mail = next(m for m in mail.outbox if m.to == ["boss@example.com"])
    assert "/staff/manage/reassign/" in manager_mail.body


def test_an_exception_that_touches_no_booking_changes_nothing(spa, two_bookings, frozen_now):
    morning, afternoon = two_bookings

    add_technician_exception(
        spa.ana, {"date": "2026-12-03", "kind": "other", "start": "12:00", "end": "13:00"}
    )
    add_technician_exception(spa.ben, {"date": "2026-12-03", "kind": "day_off"})

    assert statuses(morning, afternoon) == ["confirmed", "confirmed"]


def test_deleting_the_exception_confirms_the_bookings_again(spa, two_bookings, frozen_now):
    morning, afternoon = two_bookings
    exception = add_technician_exception(spa.ana, {"date": "2026-12-03", "kind": "day_off"})
    assert statuses(morning, afternoon) == ["needs_reassignment"] * 2

    delete_exception(exception)

    assert statuses(morning, afternoon) == ["confirmed", "confirmed"]


def test_the_manager_sees_them_with_the_technicians_free_then(spa, two_bookings, frozen_now):
    morning, afternoon = two_bookings
    # Ben is busy at 14:00 with another guest
    from conftest import make_customer

    create_booking(
        customer=make_customer("other@example.com"),
        service="swedish",
        start=local(2026, 12, 3, 14),
        technician="ben",
    )
    add_technician_exception(spa.ana, {"date": "2026-12-03", "kind": "day_off"})

    rows = reassignment_queue(frozen_now)

    assert [(row.booking.reference, row.absent) for row in rows] == [
        (morning.reference, ["Ana"]),
        (afternoon.reference, ["Ana"]),
    ]
    assert [[technician.slug for technician in row.free] for row in rows] == [["ben"], []]


def test_the_engine_never_offers_the_absent_technician(spa, customer, frozen_now):
    add_technician_exception(spa.ana, {"date": "2026-12-03", "kind": "day_off"})
    request = build_availability_request(
        service_slug="swedish", date_from=date(2026, 12, 3), date_to=date(2026, 12, 3)
    )

    offers = get_availability(request, non_member_access(get_settings()), now=frozen_now)

    assert offers  # Ben still works
    assert {slug for offer in offers for slug in offer.slot.technician_slugs} == {"ben"}


def test_a_reschedule_keeping_the_absent_technician_is_refused(spa, two_bookings, boss, frozen_now):
    morning, _ = two_bookings
    add_technician_exception(spa.ana, {"date": "2026-12-03", "kind": "day_off"})
    from coresync.core.errors import DomainError

    with pytest.raises(DomainError):
        reschedule_booking(morning, start=morning.start, actor=boss)

    assert statuses(morning) == ["needs_reassignment"]


def test_reassigning_refuses_wrong_roles_and_wrong_states(
    spa, two_bookings, boss, customer, frozen_now
):
    morning, _ = two_bookings
    from coresync.core.errors import Forbidden

    with pytest.raises(InvalidTransition):
        reassign_booking(morning, technician="ben", actor=boss)  # confirmed: nothing to do
    add_technician_exception(spa.ana, {"date": "2026-12-03", "kind": "day_off"})
    with pytest.raises(Forbidden):
        reassign_booking(morning, technician="ben", actor=customer)
    assert statuses(morning) == ["needs_reassignment"]


def test_the_api_lists_and_reassigns_with_role_checks(
    spa, two_bookings, boss, ana_login, frozen_now
):
    morning, afternoon = two_bookings
    add_technician_exception(spa.ana, {"date": "2026-12-03", "kind": "day_off"})

    listed = api_as(boss).get("/api/v1/staff/reassignments/")
    assert listed.status_code == 200
    assert [row["reference"] for row in listed.json()] == [morning.reference, afternoon.reference]
    assert listed.json()[0]["free_technicians"] == ["ben"]
    assert listed.json()[0]["absent_technicians"] == ["Ana"]

    refused = api_as(ana_login).get("/api/v1/staff/reassignments/")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"

    moved = api_as(boss).post(
        f"/api/v1/staff/reassignments/{morning.reference}/", {"technician": "ben"}, format="json"
    )
    assert moved.status_code == 200, moved.json()
    assert moved.json()["status"] == "confirmed"
    assert moved.json()["technician"] == "ben"

    again = api_as(boss).post(
        f"/api/v1/staff/reassignments/{morning.reference}/", {"technician": "ben"}, format="json"
    )
    assert again.status_code == 422
    assert again.json()["error"]["code"] == "invalid_transition"


def test_the_bookings_reschedule_endpoint_clears_it_too(spa, two_bookings, boss, frozen_now):
    morning, _ = two_bookings
    add_technician_exception(spa.ana, {"date": "2026-12-03", "kind": "day_off"})

    response = api_as(boss).post(
        f"/api/v1/bookings/{morning.reference}/reschedule/",
        {"start": "2026-12-03T10:00:00-05:00", "technician": "ben"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "confirmed"


def test_a_part_day_in_the_dst_gap_is_cut_as_the_engine_cuts_it(spa, customer):
    # 2026-03-08: clocks jump from 02:00 to 03:00; an exception 01:00-03:30 covers
    # 06:00Z-07:30Z. A booking at 09:00 EDT is not touched.
    from coresync.scheduling.engine import DayException, exception_span

    span = exception_span(
        DayException(date(2026, 3, 8), date(2026, 3, 8), time(1, 0), time(3, 30)),
        get_settings().zone,
    )
    assert [instant.isoformat() for instant in span] == [
        "2026-03-08T06:00:00+00:00",
        "2026-03-08T07:30:00+00:00",
    ]
    whole = exception_span(DayException(date(2026, 11, 1), date(2026, 11, 1)), get_settings().zone)
    assert (whole[1] - whole[0]).total_seconds() == 25 * 3600


def test_an_exception_added_in_the_admin_flags_the_bookings(spa, two_bookings, client, frozen_now):
    from coresync.accounts.models import User

    client.force_login(User.objects.create_superuser("root@example.com", "pw", name="Root"))

    response = client.post(
        "/admin/resources/availabilityexception/add/",
        {"technician": spa.ana.pk, "kind": "sick_leave", "date": "2026-12-03", "note": ""},
    )

    assert response.status_code == 302
    assert statuses(*two_bookings) == ["needs_reassignment", "needs_reassignment"]


def test_an_exception_added_through_the_api_flags_the_bookings(spa, two_bookings, boss, frozen_now):
    response = api_as(boss).post(
        "/api/v1/technicians/ana/exceptions/",
        {"date": "2026-12-03", "kind": "sick_leave", "start": "13:00", "end": "17:00"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert statuses(*two_bookings) == ["confirmed", "needs_reassignment"]
    listed = api_as(boss).get("/api/v1/bookings/", {"status": "needs_reassignment"})
    assert [row["reference"] for row in listed.json()["results"]] == [two_bookings[1].reference]


def test_a_pending_booking_confirmed_after_the_time_off_is_flagged(spa, customer, frozen_now):
    from coresync.bookings.services import confirm_booking

    booking = create_booking(
        customer=customer,
        service="swedish",
        start=local(2026, 12, 3, 10),
        technician="ana",
        awaiting_payment=True,
    )
    add_technician_exception(spa.ana, {"date": "2026-12-03", "kind": "day_off"})
    assert statuses(booking) == ["pending"]  # its payment is still awaited

    confirm_booking(booking)

    assert statuses(booking) == ["needs_reassignment"]


def test_the_guest_sees_it_kept_and_free_to_cancel(spa, client, customer, frozen_now):
    # a booking at 13:00 today: inside the 24 h window, so normally not free
    morning = create_booking(
        customer=customer, service="swedish", start=local(2026, 12, 1, 13), technician="ana"
    )
    add_technician_exception(spa.ana, {"date": "2026-12-01", "kind": "sick_leave"})
    client.force_login(customer)

    page = client.get(f"/account/bookings/{morning.reference}/").content.decode()
    preview = client.get(f"/account/bookings/{morning.reference}/cancel/").content.decode()

    assert "Your therapist is unavailable at this time." in page
    assert "Cancelling this booking is free of charge." in page
    assert "Cancelling is free of charge: your therapist is unavailable" in preview


def test_maintenance_over_a_booked_room_flags_it_and_moving_it_to_another_room_clears_it(
    spa, customer, boss, frozen_now
):
    # given Ana's 10:00 massage on Thursday, in Suite A
    booking = create_booking(
        customer=customer,
        service="swedish",
        start=local(2026, 12, 3, 10),
        technician="ana",
        room="suite-a",
    )
    mail.outbox.clear()

    # when Suite A is closed for maintenance that morning
    closure = add_room_maintenance(
        Room.objects.get(slug="suite-a"), {"date": "2026-12-03", "start": "09:00", "end": "12:00"}
    )

    # then the booking is kept but waits, the guest is told it is the room, the manager sees
    # the closed room and Ana (not away) among the technicians free then
    assert statuses(booking) == ["needs_reassignment"]
    entry = booking.history.get(action="booking.needs_reassignment")
    assert entry.data == {"absent_technicians": [], "closed_rooms": ["suite-a"]}
    dispatch_outbox()
    to_guest = next(m for m in mail.outbox if m.to == [customer.email])
    assert "your room is unavailable" in to_guest.subject
    assert "Suite A is closed for maintenance" in to_guest.body
    (row,) = reassignment_queue(frozen_now)
    assert (row.absent, row.closed_rooms) == ([], ["Suite A"])
    assert "ana" in [technician.slug for technician in row.free]

    # when the manager keeps Ana at the same start, it moves to a free room
    reassign_booking(booking, technician="ana", actor=boss)

    booking.refresh_from_db()
    assert (booking.status, booking.technician.slug, booking.start) == (
        "confirmed",
        "ana",
        local(2026, 12, 3, 10),
    )
    assert booking.room.slug != "suite-a"
    delete_exception(closure)  # nothing left to clear
    assert statuses(booking) == ["confirmed"]


def test_maintenance_removed_again_puts_the_booking_back_to_confirmed(
    spa, client, customer, frozen_now
):
    booking = create_booking(
        customer=customer,
        service="swedish",
        start=local(2026, 12, 3, 10),
        technician="ana",
        room="suite-a",
    )
    closure = add_room_maintenance(Room.objects.get(slug="suite-a"), {"date": "2026-12-03"})
    assert statuses(booking) == ["needs_reassignment"]
    client.force_login(customer)
    page = client.get(f"/account/bookings/{booking.reference}/").content.decode()
    preview = client.get(f"/account/bookings/{booking.reference}/cancel/").content.decode()
    assert "Your room is closed for maintenance at this time." in page
    assert "therapist is unavailable" not in page
    assert "Cancelling is free of charge: your room is closed for maintenance" in preview

    delete_exception(closure)

    assert statuses(booking) == ["confirmed"]
