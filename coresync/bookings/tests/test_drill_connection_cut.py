"""Fault drill: the database connection is cut in the middle of a booking
(docs/fault-drills.md).

A real HTTP server (pytest-django's live server, a thread with its own PostgreSQL
connection) takes ``POST /api/v1/bookings/``; at a chosen point the connection serving it is
terminated from another connection (``pg_terminate_backend``), as a failover, a network cut
or an administrator would. Then the client retries with the same ``Idempotency-Key``.

What must hold:

- nothing half-written: no booking without its allocations, no allocation, history entry
  or outbox row of a booking that did not commit;
- the answer to the cut request is an error the client can retry on (503), not a claim that
  the slot was taken by someone else;
- the retry with the same key succeeds, and exactly one booking exists — whether the cut
  came before or after the booking committed;
- on the site, the guest sees the error page and the same confirm form books once.

PostgreSQL only: SQLite has no server connection to cut.
"""

import uuid
from collections.abc import Callable, Iterator

import httpx
import psycopg
import pytest
from django.db import connection
from django.test import Client
from rest_framework_simplejwt.tokens import AccessToken

from coresync.bookings import events
from coresync.bookings.models import Booking, BookingHistory, BookingStatus
from coresync.checkout import services as checkout_services
from coresync.notifications.models import OutboxMessage
from coresync.scheduling.models import Allocation

pytestmark = [
    pytest.mark.drill,
    pytest.mark.postgresql,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: a server connection to terminate",
    ),
    pytest.mark.django_db(transaction=True),
]

START = "2026-12-02T10:00:00-05:00"  # the day after the frozen "now"


def terminate_this_threads_connection() -> None:
    """Terminate the PostgreSQL backend of the calling thread's Django connection from a
    second connection, and wait until it is gone."""
    backend_pid = connection.connection.info.backend_pid
    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        dbname=settings["NAME"],
        autocommit=True,
    ) as killer:
        [[terminated]] = killer.execute(
            "SELECT pg_terminate_backend(%s, 5000)", [backend_pid]
        ).fetchall()
    assert terminated, f"backend {backend_pid} was not terminated"


class Cut:
    """Terminates the booking's connection once, at the point a test installs it at, and
    notes what the connection had written by then (seen from inside its transaction)."""

    def __init__(self) -> None:
        self.done = False
        self.written: dict[str, int] = {}

    def __call__(self, *args, **kwargs) -> None:
        if not self.done:
            self.done = True
            self.written = {
                "bookings": Booking.objects.count(),
                "allocations": Allocation.objects.count(),
                "outbox": OutboxMessage.objects.count(),
            }
            terminate_this_threads_connection()


@pytest.fixture
def api(live_server, customer) -> Iterator[Callable[[str], httpx.Response]]:
    """Return ``book(key)``: ``POST /api/v1/bookings/`` over HTTP as the customer."""
    token = str(AccessToken.for_user(customer))
    with httpx.Client(
        base_url=live_server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as client:

        def book(key: str) -> httpx.Response:
            return client.post(
                "/api/v1/bookings/",
                json={"service": "swedish", "start": START},
                headers={"Idempotency-Key": key},
            )

        yield book


def assert_nothing_half_written() -> None:
    """Every booking has its allocations, history and outbox rows; nothing else exists."""
    bookings = list(Booking.objects.all())
    for booking in bookings:
        assert booking.allocations.count() == 2, booking  # technician + room
        assert BookingHistory.objects.filter(booking=booking, action="booking.created").exists()
    assert Allocation.objects.exclude(booking__in=bookings).count() == 0
    assert BookingHistory.objects.exclude(booking__in=bookings).count() == 0
    booking_ids = {str(booking.pk) for booking in bookings}
    for payload in OutboxMessage.objects.values_list("payload", flat=True):
        assert str(payload.get("booking_id")) in booking_ids, payload


def test_a_cut_inside_the_booking_transaction_writes_nothing_and_the_retry_books_once(
    spa, customer, frozen_now, api
):
    # Given a cut just after the booking, its allocations, history and outbox rows were
    # written, before they commit
    cut = Cut()
    events.subscribe(cut)
    try:
        key = str(uuid.uuid4())
        first = api(key)
    finally:
        events.unsubscribe(cut)

    # Then the client is told to retry, and nothing of that booking exists
    # (the cut came after the booking, its allocations and its outbox rows were written)
    assert (cut.written["bookings"], cut.written["allocations"]) == (1, 2)
    assert cut.written["outbox"] > 0
    assert first.status_code == 503, first.text
    assert first.json()["error"]["code"] == "service_unavailable"
    assert Booking.objects.count() == 0
    assert OutboxMessage.objects.count() == 0
    assert_nothing_half_written()

    # When the client retries with the same key: booked once, and replayed after that
    retry = api(key)
    assert retry.status_code == 201, retry.text
    again = api(key)
    assert again.status_code == 201
    assert again.json()["reference"] == retry.json()["reference"]
    [booking] = Booking.objects.all()
    assert booking.status == BookingStatus.CONFIRMED
    assert OutboxMessage.objects.filter(dedupe_key__endswith=":confirmation").count() == 1
    assert_nothing_half_written()


def test_a_cut_after_the_booking_committed_and_the_retry_returns_that_booking(
    spa, customer, frozen_now, api, monkeypatch
):
    # Given a cut after create_booking committed, before the answer is stored for the key
    cut = Cut()
    original = checkout_services.start_booking_payment

    def cut_then_start_payment(booking, **kwargs):
        cut()
        return original(booking, **kwargs)

    monkeypatch.setattr(checkout_services, "start_booking_payment", cut_then_start_payment)
    key = str(uuid.uuid4())
    first = api(key)

    # Then the client is told to retry; the booking stands, whole
    assert cut.done
    assert first.status_code == 503, first.text
    [booking] = Booking.objects.all()
    assert_nothing_half_written()

    # When the client retries with the same key it gets that booking — not a second one,
    # and not "still in progress" forever
    retry = api(key)
    assert retry.status_code == 201, retry.text
    assert retry.json()["reference"] == booking.reference
    assert Booking.objects.count() == 1
    assert api(key).json()["reference"] == booking.reference
    assert_nothing_half_written()


def test_a_cut_while_the_site_confirms_writes_nothing_and_the_same_form_books_once(
    spa, customer, frozen_now
):
    # Given a guest confirming on the site, and a cut inside the booking's transaction
    browser = Client(raise_request_exception=False)
    browser.force_login(customer)
    form = {
        "service": "swedish",
        "duration": "60",
        "guests": "1",
        "date": "2026-12-02",
        "start": START,
        "technician": "any",
        "idempotency_key": "drill-cut-site",  # made when the page was rendered
    }
    cut = Cut()
    events.subscribe(cut)
    try:
        first = browser.post("/book/confirm/", form)
    finally:
        events.unsubscribe(cut)
    connection.close_if_unusable_or_obsolete()  # what the server does before a request

    # Then the guest sees the error page (which says to try again) and nothing was written
    assert cut.done
    assert first.status_code == 500
    assert "try again in a moment" in first.content.decode()
    assert Booking.objects.count() == 0
    assert OutboxMessage.objects.count() == 0
    assert_nothing_half_written()

    # When the same form is sent again (back, confirm): booked once, then shown again
    retry = browser.post("/book/confirm/", form)
    again = browser.post("/book/confirm/", form)
    [booking] = Booking.objects.all()
    assert retry.status_code == again.status_code == 302
    assert retry["Location"] == again["Location"] == f"/book/done/{booking.reference}/"
    assert_nothing_half_written()
