"""Concurrent clock-ins on PostgreSQL: a technician's phone and the tablet at the desk press
"Clock in" at the same instant. Exactly one entry opens; every other attempt is refused with
409 ``already_clocked_in`` — by the row lock and, under it, the partial unique index — and
nothing else escapes (the race helper of the bookings' concurrency tests, one thread and one
connection per attempt, released together by a barrier)."""

import pytest
from django.db import connection

from coresync.bookings.tests.test_concurrency import race
from coresync.staff.errors import AlreadyClockedIn
from coresync.staff.models import TimeEntry
from coresync.staff.services import clock_in

pytestmark = [
    pytest.mark.postgresql,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
    pytest.mark.django_db(transaction=True),
]

ATTEMPTS = 20


def test_one_of_many_simultaneous_clock_ins_opens_an_entry(spa, ana_login, frozen_now):
    result = race(ATTEMPTS, lambda index: clock_in(spa.ana, actor=ana_login))

    opened = [outcome for outcome in result.outcomes if isinstance(outcome, TimeEntry)]
    refused = [outcome for outcome in result.outcomes if isinstance(outcome, AlreadyClockedIn)]
    assert len(opened) == 1
    assert len(refused) == ATTEMPTS - 1
    assert {error.status for error in refused} == {409}
    assert TimeEntry.objects.filter(technician=spa.ana, ended_at__isnull=True).count() == 1


def test_the_partial_unique_index_is_installed():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'time_entry_one_open_per_technician'"
        )
        (definition,) = cursor.fetchone()
    assert "UNIQUE" in definition
    assert "WHERE (ended_at IS NULL)" in definition
