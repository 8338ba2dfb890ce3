"""Fault drill: the server process dies in the middle of ``POST bookings/``
(docs/fault-drills.md).

A process killed mid-request (an out-of-memory kill, a SIGKILL at deploy) rolls back its
open transaction, but the ``Idempotency-Key`` record it committed first stays "in progress"
with nobody left to release it. The client's retries must not be refused forever: after
``IDEMPOTENCY_ABANDONED_SECONDS`` the next request with the key takes it over and books
once. The death is simulated in-process — the request stops with an exception nothing
catches, and the release that a living process would run is skipped — so this runs on
SQLite too.
"""

from datetime import timedelta

import pytest
import time_machine
from rest_framework.test import APIClient

from conftest import FROZEN_NOW
from coresync.bookings.api import views as booking_views
from coresync.bookings.models import Booking
from coresync.core.api import idempotency
from coresync.core.models import IdempotencyRecord

pytestmark = [pytest.mark.drill, pytest.mark.django_db]

BODY = {"service": "swedish", "start": "2026-12-02T10:00:00-05:00"}
KEY = "drill-server-died"


class ProcessKilled(BaseException):
    """Stands for SIGKILL: not an ``Exception``, so nothing in the request handles it."""


def test_a_key_left_in_progress_by_a_dead_server_is_taken_over_after_the_limit(
    spa, customer, frozen_now, monkeypatch, settings
):
    settings.IDEMPOTENCY_ABANDONED_SECONDS = 60
    api = APIClient()
    api.force_authenticate(customer)

    def post():
        return api.post("/api/v1/bookings/", BODY, format="json", HTTP_IDEMPOTENCY_KEY=KEY)

    # Given a server that died while booking: after its key record, before any answer
    with monkeypatch.context() as dying:
        dying.setattr(booking_views, "checkout_booking", _die)
        dying.setattr(idempotency, "_release", lambda record: None)  # nobody left to run it
        with pytest.raises(ProcessKilled):
            post()
    assert IdempotencyRecord.objects.get().state == IdempotencyRecord.State.IN_PROGRESS
    assert Booking.objects.count() == 0

    # When the client retries at once, the key is still in progress (it may still run)
    early = post()
    assert early.status_code == 409
    assert early.json()["error"]["code"] == "idempotency_request_in_progress"

    # and after the limit the retry takes the key over and books once.
    with time_machine.travel(FROZEN_NOW + timedelta(seconds=61), tick=False):
        retry = post()
        assert retry.status_code == 201, retry.content
        again = post()
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["reference"] == retry.json()["reference"]
    assert Booking.objects.count() == 1


def _die(**kwargs):
    raise ProcessKilled
