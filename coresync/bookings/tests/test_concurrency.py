"""Concurrent bookings on PostgreSQL: many people press "Book" for one slot at the same instant.

Each attempt runs in its own thread on its own database connection (Django connections are
per thread); a barrier releases them together, after every thread has connected, so the race
is on the booking itself. The clock is frozen once in the main thread: time-machine patches
the process, and each thread checks that it reads the same frozen instant.

What must hold (ARCHITECTURE.md "Double booking"): exactly as many bookings as there are
resources, every other attempt refused with ``SlotUnavailable`` (``slot_unavailable``, 409),
no ``IntegrityError`` or any other exception escaping ``create_booking`` — nor a 500 from
``POST /api/v1/bookings/`` — and, checked in SQL, no two active allocations of one resource
overlapping.

Why SQLite is not raced here: pytest-django's SQLite test database is in memory with a shared
cache, where a second writer gets "database table is locked" at once (shared-cache table
locks ignore the busy timeout), so a threaded test would measure that quirk rather than the
product, and flakily. In use, SQLite is a file opened with ``transaction_mode=IMMEDIATE``:
every write transaction takes the database's single write lock at ``BEGIN``, so bookings are
serialized and the re-check under that lock is what the sequential tests in
``test_create.py`` cover.
"""

import itertools
import threading
from collections.abc import Callable
from datetime import datetime

import pytest
from django.db import IntegrityError, connection, connections, transaction
from rest_framework.test import APIClient

from conftest import local, make_customer
from coresync.bookings.errors import CustomerBusy
from coresync.bookings.models import Booking, BookingStatus
from coresync.bookings.services import create_booking, reschedule_booking
from coresync.core.clock import now as clock_now
from coresync.scheduling.errors import SlotUnavailable
from coresync.scheduling.models import Allocation, technician_key

pytestmark = [
    pytest.mark.postgresql,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: exclusion constraint and row locks",
    ),
    pytest.mark.django_db(transaction=True),
]

ATTEMPTS = 50
THREAD_TIMEOUT_SECONDS = 120
START = local(2026, 12, 2, 10)  # the day after the frozen "now", inside everyone's window

OVERLAPPING_ACTIVE_ALLOCATIONS = """
    SELECT first.resource_key, first.id, second.id
    FROM bookings_allocation AS first
    JOIN bookings_allocation AS second
      ON first.resource_key = second.resource_key AND first.id < second.id
    WHERE first.is_active AND second.is_active
      AND tstzrange(first.starts_at, first.ends_at, '[)')
          && tstzrange(second.starts_at, second.ends_at, '[)')
"""


class Race:
    """The outcome of :func:`race`: what each attempt returned or raised, and the clock each
    thread read."""

    def __init__(self, outcomes: list[object], clocks: list[datetime]) -> None:
        self.outcomes = outcomes
        self.clocks = clocks

    @property
    def bookings(self) -> list[Booking]:
        return [outcome for outcome in self.outcomes if isinstance(outcome, Booking)]

    @property
    def refusals(self) -> list[SlotUnavailable]:
        return [outcome for outcome in self.outcomes if isinstance(outcome, SlotUnavailable)]

    @property
    def unexpected(self) -> list[object]:
        return [
            outcome
            for outcome in self.outcomes
            if not isinstance(outcome, Booking | SlotUnavailable)
        ]


def race(attempts: int, attempt: Callable[[int], object]) -> Race:
    """Run ``attempt(index)`` in ``attempts`` threads that start together; return what each
    returned or raised."""
    barrier = threading.Barrier(attempts)
    outcomes: list[object] = [None] * attempts
    clocks: list[datetime] = [None] * attempts  # type: ignore[list-item]

    def run(index: int) -> None:
        try:
            connection.ensure_connection()  # connect first: race the booking, not the login
            clocks[index] = clock_now()
            barrier.wait(timeout=THREAD_TIMEOUT_SECONDS)
            outcomes[index] = attempt(index)
        except BaseException as error:  # noqa: BLE001 - recorded and asserted on by the test
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=THREAD_TIMEOUT_SECONDS)
    assert not any(thread.is_alive() for thread in threads), "an attempt hung"
    return Race(outcomes, clocks)


def overlapping_active_allocations() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(OVERLAPPING_ACTIVE_ALLOCATIONS)
        return cursor.fetchall()


def assert_clean_refusals(result: Race, frozen_now: datetime, *, booked: int) -> None:
    """Assert ``booked`` successes, every other attempt ``slot_unavailable``, nothing else,
    every thread on the frozen clock and no overlapping allocations in the database."""
    assert result.unexpected == []
    assert len(result.bookings) == booked
    assert len(result.refusals) == len(result.outcomes) - booked
    assert {refusal.code for refusal in result.refusals} <= {"slot_unavailable"}
    assert {refusal.status for refusal in result.refusals} <= {409}
    assert set(result.clocks) == {frozen_now}
    assert Booking.objects.count() == booked
    assert overlapping_active_allocations() == []


def test_the_exclusion_constraint_is_installed():
    with connection.cursor() as cursor:
        cursor.execute("SELECT contype FROM pg_constraint WHERE conname = 'allocation_no_overlap'")
        assert cursor.fetchall() == [("x",)]


def test_fifty_customers_racing_for_one_technician_get_one_booking(spa, frozen_now):
    # Given 50 customers who all want Ana at the same start (two rooms would fit)
    customers = [make_customer(f"racer{index}@example.com") for index in range(ATTEMPTS)]

    # When they all book at once
    result = race(
        ATTEMPTS,
        lambda index: create_booking(
            customer=customers[index], service="swedish", start=START, technician="ana"
        ),
    )

    # Then one wins and 49 are told the slot is taken
    assert_clean_refusals(result, frozen_now, booked=1)
    booking = Booking.objects.get()
    assert (booking.technician, booking.room, booking.start) == (spa.ana, spa.suite, START)
    assert booking.status == BookingStatus.CONFIRMED
    assert result.bookings[0].pk == booking.pk
    assert sorted(booking.allocations.values_list("resource_key", flat=True)) == sorted(
        [f"room:{spa.suite.pk}:1", technician_key(spa.ana.pk)]
    )
    assert Allocation.objects.count() == 2
    assert booking.history.count() == 1


def test_fifty_guests_racing_for_a_shared_room_of_four_fill_exactly_its_places(spa, frozen_now):
    # Given 50 guests who each want one place in the steam room (capacity 4) at one start
    guests = [make_customer(f"steam{index}@example.com") for index in range(ATTEMPTS)]

    # When they all book at once
    result = race(
        ATTEMPTS,
        lambda index: create_booking(customer=guests[index], service="steam", start=START),
    )

    # Then four get a place each, places 1 to 4, and 46 are refused
    assert_clean_refusals(result, frozen_now, booked=4)
    units = sorted(Allocation.objects.filter(is_active=True).values_list("unit", flat=True))
    assert units == [1, 2, 3, 4]
    assert set(Allocation.objects.values_list("room_id", flat=True)) == {spa.steam_room.pk}
    assert set(Booking.objects.values_list("technician_id", flat=True)) == {None}


def test_fifty_customers_racing_for_any_technician_get_one_booking_per_technician(spa, frozen_now):
    # Given two massage technicians and two rooms that fit a Swedish massage
    customers = [make_customer(f"anyone{index}@example.com") for index in range(ATTEMPTS)]

    # When 50 customers book "any technician" at the same start
    result = race(
        ATTEMPTS,
        lambda index: create_booking(customer=customers[index], service="swedish", start=START),
    )

    # Then exactly two bookings exist: one per technician, one per room
    assert_clean_refusals(result, frozen_now, booked=2)
    pairs = set(Booking.objects.values_list("technician__slug", "room__slug"))
    assert {technician for technician, _room in pairs} == {"ana", "ben"}
    assert {room for _technician, room in pairs} == {"suite-a", "couples-suite"}
    # Ana + Suite A's one place; Ben + both places of the couples suite (taken whole)
    assert Allocation.objects.count() == 5


def test_the_database_refuses_an_overlapping_active_allocation(spa, customer, frozen_now):
    # Given Ana booked 10:00-11:00 (allocation to 11:15 with the buffer)
    booking = create_booking(customer=customer, service="swedish", start=START, technician="ana")
    taken = booking.allocations.get(technician=spa.ana)

    def allocate(starts_at, ends_at, *, is_active=True) -> Allocation:
        return Allocation.objects.create(
            booking=booking,
            resource_key=taken.resource_key,
            technician=spa.ana,
            starts_at=starts_at,
            ends_at=ends_at,
            is_active=is_active,
        )

    # When an overlapping active allocation is written directly, bypassing the services
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        allocate(local(2026, 12, 2, 11), local(2026, 12, 2, 12))

    # Then PostgreSQL's exclusion constraint refuses it
    assert "allocation_no_overlap" in str(caught.value)
    assert Allocation.objects.filter(resource_key=taken.resource_key).count() == 1

    # An inactive one (a cancelled booking's) and an adjacent active one ([) ranges) are fine
    allocate(local(2026, 12, 2, 10), local(2026, 12, 2, 11), is_active=False)
    allocate(taken.ends_at, local(2026, 12, 2, 12, 15))
    # Another resource may overlap freely
    Allocation.objects.create(
        booking=booking,
        resource_key=technician_key(spa.ben.pk),
        technician=spa.ben,
        starts_at=taken.starts_at,
        ends_at=taken.ends_at,
    )
    assert Allocation.objects.filter(resource_key=taken.resource_key).count() == 3

    # And re-activating the inactive overlapping row is refused too
    with pytest.raises(IntegrityError), transaction.atomic():
        Allocation.objects.filter(resource_key=taken.resource_key, is_active=False).update(
            is_active=True
        )


def test_one_idempotency_key_sent_twenty_times_at_once_makes_one_booking(spa, customer, frozen_now):
    # Given one customer whose app retries the same request with the same key
    attempts = 20

    # When the 20 copies arrive together
    result = race(
        attempts,
        lambda _index: create_booking(
            customer=customer,
            service="swedish",
            start=START,
            idempotency_key="retry-storm-1",
            notes="Quiet room, please.",
        ),
    )

    # Then every copy answers with the one booking, and only one of them made it
    assert result.unexpected == [] and result.refusals == []
    booking = Booking.objects.get()
    assert {made.pk for made in result.bookings} == {booking.pk}
    assert [made.was_replayed for made in result.bookings].count(False) == 1
    assert booking.idempotency_key == "retry-storm-1"
    assert set(result.clocks) == {frozen_now}
    assert Allocation.objects.count() == 2
    assert overlapping_active_allocations() == []


def post_booking(user, key: str, **payload):
    """POST /api/v1/bookings/ as ``user`` from this thread (a client of its own)."""
    client = APIClient()
    client.force_authenticate(user=user)
    body = {"service": "swedish", "start": START.isoformat(), **payload}
    return client.post("/api/v1/bookings/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_fifty_http_requests_for_one_technician_get_one_201_and_409_slot_unavailable(
    spa, frozen_now
):
    # Given 50 signed-in customers
    customers = [make_customer(f"http{index}@example.com") for index in range(ATTEMPTS)]

    # When each POSTs a booking for Ana at the same start, all at once
    result = race(
        ATTEMPTS,
        lambda index: post_booking(customers[index], f"http-{index}", technician="ana"),
    )

    # Then one 201 and 49 409 slot_unavailable; the test client re-raises any unhandled
    # exception, so an IntegrityError or a 500 would show up in ``unexpected``
    responses = [outcome for outcome in result.outcomes if hasattr(outcome, "status_code")]
    assert [o for o in result.outcomes if not hasattr(o, "status_code")] == []
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [409] * (ATTEMPTS - 1)
    assert {
        response.json()["error"]["code"] for response in responses if response.status_code == 409
    } == {"slot_unavailable"}
    assert set(result.clocks) == {frozen_now}
    created = next(response.json() for response in responses if response.status_code == 201)
    assert (created["technician"], created["room"]) == ("ana", "suite-a")
    assert Booking.objects.get().reference == created["reference"]
    assert overlapping_active_allocations() == []


def test_one_idempotency_key_posted_twenty_times_at_once_makes_one_booking(
    spa, customer, frozen_now
):
    # Given one customer whose app re-sends the same POST with the same key
    attempts = 20

    # When the 20 copies arrive together
    result = race(attempts, lambda _index: post_booking(customer, "http-retry-storm"))

    # Then one booking; each copy answers with it (201, replayed) or 409 in progress
    assert [o for o in result.outcomes if not hasattr(o, "status_code")] == []
    booking = Booking.objects.get()
    for response in result.outcomes:
        if response.status_code == 201:
            assert response.json()["reference"] == booking.reference
        else:
            assert response.status_code == 409
            assert response.json()["error"]["code"] == "idempotency_request_in_progress"
    assert [response.status_code for response in result.outcomes].count(201) >= 1
    assert set(result.clocks) == {frozen_now}
    assert overlapping_active_allocations() == []


def test_one_customer_booking_overlapping_times_from_two_places_at_once_gets_one(
    spa, customer, frozen_now
):
    # Given one customer who presses "Book" on several devices at once for overlapping
    # times whose resources do not meet: the steam room (four places, no technician) at
    # 10:00, and Ana in Suite A at 10:30 — the resources alone would allow five bookings
    choices = [
        {"service": "steam", "start": START},
        {"service": "swedish", "start": local(2026, 12, 2, 10, 15), "technician": "ana"},
    ] * 10
    for choice in choices:
        if choice["service"] == "swedish":
            choice["room"] = "suite-a"

    # When all twenty requests run at once
    result = race(
        len(choices),
        lambda index: create_booking(customer=customer, **choices[index]),
    )

    # Then exactly one booking exists; every other attempt is customer_busy (or, for Ana,
    # slot_unavailable) — never an error or a second booking
    failures = [outcome for outcome in result.outcomes if not isinstance(outcome, Booking)]
    assert len(result.bookings) == 1
    assert {type(failure) for failure in failures} <= {CustomerBusy, SlotUnavailable}
    assert any(isinstance(failure, CustomerBusy) for failure in failures)
    assert set(result.clocks) == {frozen_now}
    assert Booking.objects.filter(customer=customer).count() == 1
    assert overlapping_active_allocations() == []


def test_one_customer_rescheduling_onto_their_own_booking_while_booking_gets_one(
    spa, customer, frozen_now
):
    # Given a customer's steam session at 14:00 (no technician needed)
    steam = create_booking(customer=customer, service="steam", start=local(2026, 12, 2, 14))

    # When they book a massage at 10:00 and, at the same instant, move the session to 10:15
    def attempt(index: int):
        if index == 0:
            return create_booking(customer=customer, service="swedish", start=START)
        return reschedule_booking(steam, start=local(2026, 12, 2, 10, 15), actor=customer)

    result = race(2, attempt)

    # Then exactly one of the two went through and the other was refused as customer_busy
    assert [type(outcome) for outcome in result.outcomes].count(CustomerBusy) == 1
    assert [isinstance(outcome, Booking) for outcome in result.outcomes].count(True) == 1
    starts = sorted(
        Booking.objects.filter(customer=customer, status="confirmed").values_list("start", "end")
    )
    assert all(end <= next_start for (_s, end), (next_start, _e) in itertools.pairwise(starts))
