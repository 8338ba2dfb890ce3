"""Fault drill: the server process dies in the middle of ``POST bookings/``
(docs/fault-drills.md).

A process killed mid-request (an out-of-memory kill, a SIGKILL at deploy) rolls back its open
transaction. The idempotency key lives on the booking row (coresync.core.idempotency), so
there is no "in progress" record left behind for nobody to release: the client's retry with
the same key books at once, exactly once — and if the process died after the booking
committed, the retry gets that booking. The death is simulated in-process (an exception
nothing catches), so this runs on SQLite too.
"""

import pytest
from rest_framework.test import APIClient

from coresync.bookings import events
from coresync.bookings.models import Booking, BookingHistory
from coresync.checkout import services as checkout_services
from coresync.notifications.models import OutboxMessage
from coresync.scheduling.models import Allocation

pytestmark = [pytest.mark.drill, pytest.mark.django_db]

BODY = {"service": "swedish", "start": "2026-12-02T10:00:00-05:00"}
KEY = "drill-server-died"


class ProcessKilled(BaseException):
    """Stands for SIGKILL: not an ``Exception``, so nothing in the request handles it."""


def _post(api: APIClient):
    return api.post("/api/v1/bookings/", BODY, format="json", HTTP_IDEMPOTENCY_KEY=KEY)


def test_a_server_killed_inside_the_booking_leaves_nothing_and_the_retry_books_at_once(
    spa, customer, frozen_now
):
    api = APIClient()
    api.force_authenticate(customer)

    # Given a server that dies inside the booking's transaction, after its rows were written
    def die(booking, action, data):
        raise ProcessKilled

    events.subscribe(die)
    try:
        with pytest.raises(ProcessKilled):
            _post(api)
    finally:
        events.unsubscribe(die)

    # Then nothing of it is left: no booking, allocation, history or outbox row
    assert Booking.objects.count() == 0
    assert Allocation.objects.count() == 0
    assert BookingHistory.objects.count() == 0
    assert OutboxMessage.objects.count() == 0

    # When the client retries at once with the same key, it books, once
    retry = _post(api)
    assert retry.status_code == 201, retry.content
    assert "Idempotent-Replayed" not in retry
    again = _post(api)
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["reference"] == retry.json()["reference"]
    assert Booking.objects.count() == 1


def test_a_server_killed_after_the_booking_committed_and_the_retry_gets_that_booking(
    spa, customer, frozen_now, monkeypatch
):
    api = APIClient()
    api.force_authenticate(customer)

    # Given a server that dies after the booking committed, before it answered
    def die(booking, **kwargs):
        raise ProcessKilled

    with monkeypatch.context() as dying:
        dying.setattr(checkout_services, "start_booking_payment", die)
        with pytest.raises(ProcessKilled):
            _post(api)
    [booking] = Booking.objects.all()

    # When the client retries with the same key, it gets that booking, not a second one
    retry = _post(api)
    assert retry.status_code == 201, retry.content
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json()["reference"] == booking.reference
    assert Booking.objects.count() == 1
