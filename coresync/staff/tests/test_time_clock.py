"""The time clock (issue 11 item 2; ARCHITECTURE.md "Staff time"): clock in and out, one
open entry per technician enforced by the database, breaks, entries by hand, a manager's
approval, edit (with history) and rejection; hours are real elapsed hours, across midnight and
the DST changes of 2026-03-08 and 2026-11-01."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError, transaction

from conftest import local
from coresync.staff.errors import AlreadyClockedIn, NotClockedIn
from coresync.staff.models import TimeEntry, TimeEntrySource, TimeEntryStatus
from coresync.staff.selectors import entry_hours
from coresync.staff.services import clock_in, clock_out, end_break, start_break
from coresync.staff.tests.conftest import api_as

pytestmark = pytest.mark.django_db

ENTRIES = "/api/v1/staff/time-entries/"


def post_entry(user, started_at: str, ended_at: str, **extra):
    return api_as(user).post(
        ENTRIES, {"started_at": started_at, "ended_at": ended_at, **extra}, format="json"
    )


def test_clock_in_and_out_makes_a_pending_entry_of_the_elapsed_hours(spa, ana_login):
    with time_machine.travel(local(2026, 12, 1, 9, 0), tick=False):
        clock_in(spa.ana, actor=ana_login)
    with time_machine.travel(local(2026, 12, 1, 12, 30), tick=False):
        start_break(spa.ana, actor=ana_login)
    with time_machine.travel(local(2026, 12, 1, 13, 0), tick=False):
        end_break(spa.ana, actor=ana_login)
    with time_machine.travel(local(2026, 12, 1, 17, 15), tick=False):
        entry = clock_out(spa.ana, actor=ana_login)

    entry = TimeEntry.objects.prefetch_related("breaks").get(pk=entry.pk)
    assert entry.status == TimeEntryStatus.PENDING
    assert entry.source == TimeEntrySource.CLOCK
    assert entry_hours(entry) == Decimal("7.75")  # 8 h 15 min less a 30 min break
    assert list(entry.history.values_list("action", flat=True)) == [
        "clocked_in",
        "break_started",
        "break_ended",
        "clocked_out",
    ]


def test_the_database_allows_one_open_entry_per_technician(spa, ana_login):
    clock_in(spa.ana, actor=ana_login, now=local(2026, 12, 1, 9))

    # the service refuses a second clock-in...
    with pytest.raises(AlreadyClockedIn):
        clock_in(spa.ana, actor=ana_login, now=local(2026, 12, 1, 9, 5))
    # ...and so does the database, whatever writes the row (a partial unique index)
    with pytest.raises(IntegrityError), transaction.atomic():
        TimeEntry.objects.create(
            technician=spa.ana,
            started_at=local(2026, 12, 1, 8),
            status=TimeEntryStatus.OPEN,
            source=TimeEntrySource.CLOCK,
        )
    assert TimeEntry.objects.filter(technician=spa.ana).count() == 1


def test_clocking_out_without_clocking_in_is_refused(spa, ana_login):
    with pytest.raises(NotClockedIn):
        clock_out(spa.ana, actor=ana_login)

    response = api_as(ana_login).post("/api/v1/staff/clock/out/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_clocked_in"


def test_the_clock_api_in_and_out(spa, ana_login):
    client = api_as(ana_login)
    with time_machine.travel(local(2026, 12, 1, 9), tick=False):
        opened = client.post("/api/v1/staff/clock/in/", {}, format="json")
        twice = client.post("/api/v1/staff/clock/in/", {}, format="json")
    with time_machine.travel(local(2026, 12, 1, 10, 30), tick=False):
        state = client.get("/api/v1/staff/clock/")
        closed = client.post("/api/v1/staff/clock/out/", {}, format="json")

    assert opened.status_code == 201
    assert opened.json()["status"] == "open"
    assert opened.json()["started_at"] == "2026-12-01T09:00:00-05:00"  # shown in spa time
    assert twice.status_code == 409
    assert twice.json()["error"]["code"] == "already_clocked_in"
    assert state.json()["clocked_in"] is True
    assert state.json()["entry"]["hours"] == "1.50"
    assert closed.status_code == 200
    assert closed.json()["status"] == "pending"
    assert closed.json()["hours"] == "1.50"


@pytest.mark.parametrize(
    ("started_at", "ended_at", "hours"),
    [
        # across midnight
        ("2026-12-01T22:00:00-05:00", "2026-12-02T06:30:00-05:00", "8.50"),
        # spring forward: 22:00 EST to 06:00 EDT is 7 real hours
        ("2026-03-07T22:00:00-05:00", "2026-03-08T06:00:00-04:00", "7.00"),
        # fall back: 22:00 EDT to 06:00 EST is 9 real hours
        ("2026-10-31T22:00:00-04:00", "2026-11-01T06:00:00-05:00", "9.00"),
        # the repeated hour itself: 01:30 EDT to 01:30 EST is one hour
        ("2026-11-01T01:30:00-04:00", "2026-11-01T01:30:00-05:00", "1.00"),
        # the same instants written in UTC
        ("2026-03-08T03:00:00Z", "2026-03-08T10:00:00Z", "7.00"),
    ],
)
def test_hours_are_real_elapsed_hours(spa, ana_login, started_at, ended_at, hours):
    response = post_entry(ana_login, started_at, ended_at, note="forgot to clock in")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["hours"] == hours
    assert body["status"] == "pending"
    assert body["technician"] == "ana"
    assert set(body) >= {"id", "technician", "started_at", "ended_at", "hours", "status"}


def test_clocking_through_the_dst_nights(spa, ana_login):
    # 2026-03-08: in at 00:30 EST, out at 05:30 EDT → 4 hours (02:00-03:00 never happened)
    clock_in(spa.ana, actor=ana_login, now=local(2026, 3, 8, 0, 30))
    spring = clock_out(spa.ana, actor=ana_login, now=local(2026, 3, 8, 5, 30))
    # 2026-11-01: in at 00:30 EDT, out at 05:30 EST → 6 hours (01:00-02:00 happened twice)
    clock_in(spa.ana, actor=ana_login, now=local(2026, 11, 1, 0, 30))
    autumn = clock_out(spa.ana, actor=ana_login, now=local(2026, 11, 1, 5, 30))

    assert entry_hours(TimeEntry.objects.get(pk=spring.pk)) == Decimal("4.00")
    assert entry_hours(TimeEntry.objects.get(pk=autumn.pk)) == Decimal("6.00")


def test_breaks_of_a_manual_entry_are_not_paid(spa, ana_login):
    response = post_entry(
        ana_login,
        "2026-12-01T09:00:00-05:00",
        "2026-12-01T17:00:00-05:00",
        note="clock was down",
        breaks=[
            {"started_at": "2026-12-01T12:00:00-05:00", "ended_at": "2026-12-01T12:45:00-05:00"}
        ],
    )

    assert response.status_code == 201, response.json()
    assert response.json()["hours"] == "7.25"
    assert response.json()["break_minutes"] == 45


@pytest.mark.parametrize(
    ("started_at", "ended_at", "field", "code"),
    [
        ("2026-12-01T09:00:00-05:00", "2026-12-01T09:00:00-05:00", "ended_at", "invalid"),
        ("2026-12-01T09:00:00-05:00", "2026-12-01T08:00:00-05:00", "ended_at", "invalid"),
        ("2026-12-01T09:00:00-05:00", "2026-12-02T01:00:01-05:00", "ended_at", "invalid"),
        (
            "2026-12-01T09:00:00",
            "2026-12-01T17:00:00-05:00",
            "started_at",
            "timezone_offset_required",
        ),
        ("yesterday", "2026-12-01T17:00:00-05:00", "started_at", "invalid"),
    ],
)
def test_bad_entries_are_refused_naming_the_field(
    spa, ana_login, started_at, ended_at, field, code
):
    response = post_entry(ana_login, started_at, ended_at)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert field in response.json()["error"]["fields"]
    assert not TimeEntry.objects.exists()


def test_sixteen_hours_exactly_is_accepted(spa, ana_login):
    response = post_entry(ana_login, "2026-12-01T09:00:00-05:00", "2026-12-02T01:00:00-05:00")
    assert response.status_code == 201
    assert response.json()["hours"] == "16.00"


def test_an_overlapping_entry_is_409(spa, ana_login):
    assert (
        post_entry(ana_login, "2026-12-01T09:00:00-05:00", "2026-12-01T13:00:00-05:00").status_code
        == 201
    )

    response = post_entry(ana_login, "2026-12-01T12:00:00-05:00", "2026-12-01T15:00:00-05:00")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "overlapping_entry"
    # touching is not overlapping
    assert (
        post_entry(ana_login, "2026-12-01T13:00:00-05:00", "2026-12-01T15:00:00-05:00").status_code
        == 201
    )


def test_a_technician_logs_their_own_and_a_manager_anyone(
    spa, ana_login, ben_login, boss, desk, customer
):
    naming_ben = post_entry(
        ana_login, "2026-12-01T09:00:00-05:00", "2026-12-01T10:00:00-05:00", technician="ben"
    )
    assert naming_ben.status_code == 403
    assert naming_ben.json()["error"]["code"] == "forbidden"

    for outsider in (desk, customer):
        refused = post_entry(outsider, "2026-12-01T09:00:00-05:00", "2026-12-01T10:00:00-05:00")
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "forbidden"

    by_manager = post_entry(
        boss, "2026-12-01T09:00:00-05:00", "2026-12-01T10:00:00-05:00", technician="ben"
    )
    assert by_manager.status_code == 201
    assert by_manager.json()["technician"] == "ben"
    assert TimeEntry.objects.get().technician == spa.ben

    # each technician lists their own only
    assert api_as(ana_login).get(ENTRIES).json()["results"] == []
    assert len(api_as(ben_login).get(ENTRIES).json()["results"]) == 1
    assert api_as(ana_login).get(f"{ENTRIES}{TimeEntry.objects.get().pk}/").status_code == 404


def test_approval_flows_refuse_wrong_roles_and_wrong_states(spa, ana_login, boss):
    entry_id = post_entry(
        ana_login, "2026-12-01T09:00:00-05:00", "2026-12-01T17:00:00-05:00"
    ).json()["id"]

    by_technician = api_as(ana_login).post(f"{ENTRIES}{entry_id}/approve/", {}, format="json")
    assert by_technician.status_code == 403
    assert by_technician.json() == {
        "error": {"code": "forbidden", "message": "Only a manager can approve hours."}
    }

    approved = api_as(boss).post(f"{ENTRIES}{entry_id}/approve/", {"note": "ok"}, format="json")
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"

    again = api_as(boss).post(f"{ENTRIES}{entry_id}/approve/", {}, format="json")
    assert again.status_code == 422
    assert again.json()["error"]["code"] == "invalid_transition"

    rejected = api_as(boss).post(
        f"{ENTRIES}{entry_id}/reject/", {"note": "not on rota"}, format="json"
    )
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected"
    assert api_as(boss).post(f"{ENTRIES}{entry_id}/reject/", {}, format="json").status_code == 422

    # an open entry cannot be approved
    clock_in(spa.ana, actor=ana_login, now=datetime(2026, 12, 2, 14, tzinfo=UTC))
    open_id = TimeEntry.objects.get(status="open").pk
    refused = api_as(boss).post(f"{ENTRIES}{open_id}/approve/", {}, format="json")
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "invalid_transition"


def test_a_manager_edits_with_a_reason_and_the_history_keeps_what_it_was(spa, ana_login, boss):
    entry_id = post_entry(
        ana_login, "2026-12-01T09:00:00-05:00", "2026-12-01T17:00:00-05:00"
    ).json()["id"]

    no_reason = api_as(boss).patch(
        f"{ENTRIES}{entry_id}/", {"ended_at": "2026-12-01T16:00:00-05:00"}, format="json"
    )
    assert no_reason.status_code == 400
    assert "reason" in no_reason.json()["error"]["fields"]

    by_technician = api_as(ana_login).patch(
        f"{ENTRIES}{entry_id}/",
        {"ended_at": "2026-12-01T18:00:00-05:00", "reason": "more"},
        format="json",
    )
    assert by_technician.status_code == 403

    edited = api_as(boss).patch(
        f"{ENTRIES}{entry_id}/",
        {"ended_at": "2026-12-01T16:00:00-05:00", "reason": "left at four"},
        format="json",
    )
    assert edited.status_code == 200, edited.json()
    assert edited.json()["hours"] == "7.00"
    last = edited.json()["history"][-1]
    assert last["action"] == "edited"
    assert last["actor"] == "boss@example.com"
    assert last["reason"] == "left at four"
    assert last["before"] == {"ended_at": "2026-12-01T22:00:00+00:00"}
    assert last["after"] == {"ended_at": "2026-12-01T21:00:00+00:00"}


def test_a_manager_closes_a_forgotten_clock_out(spa, ana_login, boss):
    clock_in(spa.ana, actor=ana_login, now=local(2026, 12, 1, 9))
    entry = TimeEntry.objects.get()

    response = api_as(boss).patch(
        f"{ENTRIES}{entry.pk}/",
        {"ended_at": "2026-12-01T17:00:00-05:00", "reason": "forgot to clock out"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "pending"
    assert response.json()["hours"] == "8.00"


def test_a_clock_out_after_more_than_sixteen_hours_asks_for_a_manager(spa, ana_login):
    clock_in(spa.ana, actor=ana_login, now=local(2026, 12, 1, 9))

    response = None
    with time_machine.travel(local(2026, 12, 2, 1, 1), tick=False):
        response = api_as(ana_login).post("/api/v1/staff/clock/out/", {}, format="json")

    assert response.status_code == 400
    assert "ended_at" in response.json()["error"]["fields"]
    assert TimeEntry.objects.get().status == "open"


def test_anonymous_is_401(spa):
    from rest_framework.test import APIClient

    response = APIClient().get(ENTRIES)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_entries_are_instants_in_utc(spa, ana_login):
    post_entry(ana_login, "2026-12-01T09:00:00-05:00", "2026-12-01T10:00:00-05:00")
    entry = TimeEntry.objects.get()
    assert entry.started_at == datetime(2026, 12, 1, 14, tzinfo=UTC)
    assert entry.ended_at - entry.started_at == timedelta(hours=1)
