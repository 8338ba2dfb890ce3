"""Google Calendar two-way sync against recorded Google answers (google-api-python-client
over httplib2): pushes never duplicate, pulls survive an expired sync token, outside events
block the technician, our events edited in Google are flagged, not applied."""

from datetime import date, timedelta

import pytest

from conftest import local
from coresync.bookings.models import BookingStatus
from coresync.bookings.services import cancel_booking, create_booking, reschedule_booking
from coresync.googlesync.calendar import TOPIC_PUSH_BOOKING, event_id_for, pull_calendar
from coresync.googlesync.models import BookingEvent, CalendarLink, EventFlag
from coresync.googlesync.tests.google_fake import error
from coresync.memberships.selectors import get_customer_access
from coresync.notifications.models import OutboxMessage, OutboxStatus
from coresync.notifications.outbox import dispatch_due
from coresync.resources.models import ExternalBusyBlock
from coresync.scheduling.errors import SlotUnavailable
from coresync.scheduling.selectors import build_availability_request, get_availability
from coresync.spa.selectors import get_settings

pytestmark = pytest.mark.django_db

EVENTS = "calendars/ana%40spa.example/events"


def push_due(now) -> int:
    return dispatch_due(now=now, topics=[TOPIC_PUSH_BOOKING])


def test_booking_push_survives_a_duplicate_insert_then_follows_reschedule_and_cancel(
    customer, manager, frozen_now, google_on, google_answers, ana_calendar
):
    # Given Ana's calendar linked and a booking with her
    booking = create_booking(
        customer=customer, service="swedish", start=local(2026, 12, 2, 10), technician="ana"
    )
    event_id = event_id_for(booking, ana_calendar.technician)
    assert OutboxMessage.objects.filter(topic=TOPIC_PUSH_BOOKING).count() == 1

    # When the insert reaches Google but the answer was lost before: Google answers 409
    google = google_answers([error(409, "duplicate"), (200, {"id": event_id})])
    assert push_due(frozen_now) == 1

    # Then the event is replaced under the same id, never created twice
    assert google.calls() == [("POST", EVENTS), ("PUT", f"{EVENTS}/{event_id}")]
    inserted = google.requests[0][2]
    assert inserted["id"] == event_id
    assert inserted["summary"] == "Swedish Massage — " + customer.get_short_name().split()[0]
    assert inserted["start"] == {"dateTime": "2026-12-02T15:00:00+00:00"}
    assert inserted["extendedProperties"] == {"private": {"coresync_booking": booking.reference}}
    assert customer.email not in str(inserted)
    pushed = BookingEvent.objects.get()
    assert (pushed.event_id, pushed.pushed_start) == (event_id, local(2026, 12, 2, 10))

    # When the booking is rescheduled: the same event is updated
    google = google_answers([(200, {"id": event_id})])
    reschedule_booking(booking, start=local(2026, 12, 3, 11), actor=manager)
    push_due(frozen_now)
    assert google.calls() == [("PUT", f"{EVENTS}/{event_id}")]
    assert google.requests[0][2]["start"] == {"dateTime": "2026-12-03T16:00:00+00:00"}

    # When it is cancelled: the event is deleted
    google = google_answers([(204, "")])
    booking.refresh_from_db()
    cancel_booking(booking, actor=manager, now=frozen_now)
    push_due(frozen_now)
    assert google.calls() == [("DELETE", f"{EVENTS}/{event_id}")]
    assert BookingEvent.objects.get().is_deleted
    assert not OutboxMessage.objects.filter(topic=TOPIC_PUSH_BOOKING).exclude(
        status=OutboxStatus.DONE
    )


def test_a_google_outage_is_retried_by_the_outbox(
    customer, frozen_now, google_on, google_answers, ana_calendar
):
    create_booking(
        customer=customer, service="swedish", start=local(2026, 12, 2, 10), technician="ana"
    )
    google_answers([error(503, "backendError")])
    push_due(frozen_now)
    message = OutboxMessage.objects.get(topic=TOPIC_PUSH_BOOKING)
    assert message.status == OutboxStatus.FAILED
    assert "Google answered 503" in message.last_error

    google = google_answers([(200, {})])
    push_due(frozen_now + timedelta(hours=1))
    assert google.calls() == [("POST", EVENTS)]
    message.refresh_from_db()
    assert message.status == OutboxStatus.DONE


def external_event(event_id, start, end, **extra):
    return {
        "id": event_id,
        "status": "confirmed",
        "summary": "Dentist",
        "start": {"dateTime": start.isoformat()},
        "end": {"dateTime": end.isoformat()},
        **extra,
    }


def test_pull_survives_an_expired_sync_token_with_a_full_resync(
    customer, frozen_now, google_on, google_answers, ana_calendar
):
    # Given a stored sync token, a busy block from an event since deleted, and a pushed booking
    CalendarLink.objects.filter(pk=ana_calendar.pk).update(sync_token="old-token")
    ana_calendar.refresh_from_db()
    ExternalBusyBlock.objects.create(
        technician=ana_calendar.technician,
        source="google",
        external_id="gone",
        starts_at=local(2026, 12, 4, 9),
        ends_at=local(2026, 12, 4, 10),
    )
    booking = create_booking(
        customer=customer, service="swedish", start=local(2026, 12, 2, 10), technician="ana"
    )
    google_answers([(200, {})])
    push_due(frozen_now)
    event_id = event_id_for(booking, ana_calendar.technician)

    # When Google answers 410 to the incremental sync, then the full list: a dentist
    # appointment, our booking moved by hand to 11:00, and an event marked "free"
    moved = external_event(
        event_id,
        local(2026, 12, 2, 11),
        local(2026, 12, 2, 12),
        extendedProperties={"private": {"coresync_booking": booking.reference}},
    )
    free = external_event("lunch", local(2026, 12, 2, 12), local(2026, 12, 2, 13))
    free["transparency"] = "transparent"
    google = google_answers(
        [
            error(410, "fullSyncRequired"),
            (
                200,
                {
                    "items": [
                        external_event("dentist", local(2026, 12, 2, 14), local(2026, 12, 2, 15)),
                        moved,
                    ],
                    "nextPageToken": "page-2",
                },
            ),
            (200, {"items": [free], "nextSyncToken": "new-token"}),
        ]
    )
    assert pull_calendar(ana_calendar, now=frozen_now) == 3

    # Then the sync started over without the token, and everything read is applied
    lists = [uri for method, uri, _ in google.requests]
    assert "syncToken=old-token" in lists[0]
    assert "syncToken" not in lists[1] and "timeMin=2026-11-30T13%3A00%3A00%2B00%3A00" in lists[1]
    assert "pageToken=page-2" in lists[2]
    assert [
        (block.external_id, block.starts_at, block.ends_at)
        for block in ExternalBusyBlock.objects.all()
    ] == [("dentist", local(2026, 12, 2, 14), local(2026, 12, 2, 15))]
    flagged = BookingEvent.objects.get()
    assert flagged.flag == EventFlag.CHANGED
    assert flagged.flag_details["start"] == "2026-12-02T11:00:00-05:00"
    booking.refresh_from_db()
    assert (booking.start, booking.status) == (local(2026, 12, 2, 10), BookingStatus.CONFIRMED)
    ana_calendar.refresh_from_db()
    assert ana_calendar.sync_token == "new-token"

    # When the next incremental sync says the booking's event was deleted in Google
    deleted = {"id": event_id, "status": "cancelled"}
    google = google_answers([(200, {"items": [deleted], "nextSyncToken": "token-3"})])
    pull_calendar(ana_calendar, now=frozen_now)

    # Then it is flagged for the desk, the booking untouched
    assert "syncToken=new-token" in google.requests[0][1]
    assert BookingEvent.objects.get().flag == EventFlag.DELETED
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def ana_starts(customer, day):
    request = build_availability_request(
        service_slug="swedish", date_from=day, date_to=day, technician_slug="ana"
    )
    access = get_customer_access(customer, day, get_settings())
    return [offer.slot.start for offer in get_availability(request, access)]


def test_an_external_google_event_blocks_the_technicians_slots(
    customer, frozen_now, google_on, google_answers, ana_calendar
):
    # Given Ana free all of December 2 (09:00-17:00, Swedish 60 min + 15 min buffer)
    december_2 = date(2026, 12, 2)
    before = ana_starts(customer, december_2)
    assert local(2026, 12, 2, 12) in before

    # When her calendar says she is at the dentist 12:00-13:30
    google_answers(
        [
            (
                200,
                {
                    "items": [
                        external_event(
                            "dentist", local(2026, 12, 2, 12), local(2026, 12, 2, 13, 30)
                        )
                    ],
                    "nextSyncToken": "t1",
                },
            )
        ]
    )
    pull_calendar(ana_calendar, now=frozen_now)

    # Then no slot of hers overlaps it (a start at 10:45 still ends with its buffer at 12:00)
    after = ana_starts(customer, december_2)
    blocked = [start for start in before if start not in after]
    assert blocked
    assert all(local(2026, 12, 2, 10, 45) < start < local(2026, 12, 2, 13, 30) for start in blocked)
    assert local(2026, 12, 2, 10, 45) in after
    assert local(2026, 12, 2, 13, 30) in after
    assert local(2026, 12, 2, 12) not in after

    # And a later cancellation of the dentist frees them again
    google_answers(
        [(200, {"items": [{"id": "dentist", "status": "cancelled"}], "nextSyncToken": "t2"})]
    )
    pull_calendar(ana_calendar, now=frozen_now)
    assert ana_starts(customer, december_2) == before


def test_booking_over_an_external_event_is_refused_and_changes_nothing(
    customer, frozen_now, ana_calendar
):
    # Given Ana's outside event 12:00-13:00 read from Google
    ExternalBusyBlock.objects.create(
        technician=ana_calendar.technician,
        source="google",
        external_id="dentist",
        starts_at=local(2026, 12, 2, 12),
        ends_at=local(2026, 12, 2, 13),
    )

    # When a guest books Ana at 12:00, then the slot is refused; Ben is still bookable
    with pytest.raises(SlotUnavailable):
        create_booking(
            customer=customer, service="swedish", start=local(2026, 12, 2, 12), technician="ana"
        )
    booking = create_booking(
        customer=customer, service="swedish", start=local(2026, 12, 2, 12), technician="ben"
    )
    assert booking.technician.slug == "ben"
    assert ExternalBusyBlock.objects.count() == 1
