"""The transactional outbox: rows live and die with the business transaction, the dispatcher
claims, runs, retries with jittered exponential backoff, gives up, and reclaims rows whose
worker died."""

import random
import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction

from conftest import local
from coresync.bookings.models import Booking
from coresync.bookings.services import create_booking
from coresync.notifications import outbox
from coresync.notifications.models import OutboxAttempt, OutboxMessage, OutboxStatus
from coresync.notifications.outbox import (
    OutboxUsageError,
    Outgoing,
    PermanentError,
    backoff_delay,
    cancel_pending,
    claim_due,
    dispatch_due,
    enqueue,
    enqueue_many,
    purge_finished,
    retry_now,
)
from coresync.notifications.tests.conftest import TEST_TOPIC
from coresync.scheduling.errors import SlotUnavailable

pytestmark = pytest.mark.django_db

NOW = local(2026, 12, 1, 8, 0)


def add(payload=None, **options) -> OutboxMessage:
    with transaction.atomic():
        return enqueue(TEST_TOPIC, payload or {"n": 1}, **options)


# -- enqueue: one transaction with the change --------------------------------------------


def test_a_booking_commits_its_outbox_rows_with_it(spa, customer, frozen_now):
    booking = create_booking(customer=customer, service="swedish", start=local(2026, 12, 2, 10))

    rows = OutboxMessage.objects.order_by("available_at", "topic").values_list(
        "topic", "dedupe_key", "available_at"
    )
    start = "2026-12-02T15:00:00+00:00"  # 10:00 in New York
    prefix = f"booking:{booking.pk}"
    assert list(rows) == [
        ("notifications.email", f"{prefix}:confirmation", frozen_now),
        (
            "notifications.email",
            f"{prefix}:reminder:reminder_24h:email:{start}",
            local(2026, 12, 1, 10),
        ),
        (
            "notifications.email",
            f"{prefix}:reminder:reminder_1h:email:{start}",
            local(2026, 12, 2, 9),
        ),
        (
            "notifications.push",
            f"{prefix}:reminder:reminder_1h:push:{start}",
            local(2026, 12, 2, 9),
        ),
        (
            "notifications.push",
            f"{prefix}:reminder:reminder_15m:push:{start}",
            local(2026, 12, 2, 9, 45),
        ),
    ]


def test_a_rolled_back_booking_leaves_no_outbox_row(spa, customer, frozen_now):
    with pytest.raises(RuntimeError), transaction.atomic():
        create_booking(customer=customer, service="swedish", start=local(2026, 12, 2, 10))
        raise RuntimeError("the request failed after booking")

    assert Booking.objects.count() == 0
    assert OutboxMessage.objects.count() == 0


def test_a_refused_booking_writes_no_outbox_row(spa, customer, frozen_now):
    create_booking(
        customer=customer, service="swedish", start=local(2026, 12, 2, 10), technician="ana"
    )
    before = OutboxMessage.objects.count()

    with pytest.raises(SlotUnavailable):
        create_booking(
            customer=customer, service="swedish", start=local(2026, 12, 2, 10), technician="ana"
        )

    assert OutboxMessage.objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_enqueue_outside_a_transaction_is_refused():
    with pytest.raises(OutboxUsageError):
        enqueue(TEST_TOPIC, {"n": 1})
    assert OutboxMessage.objects.count() == 0


def test_enqueue_with_a_known_dedupe_key_returns_the_row_unchanged(frozen_now):
    first = add({"n": 1}, dedupe_key="k-1")

    again = add({"n": 2}, dedupe_key="k-1", available_at=NOW + timedelta(hours=1))

    assert again.pk == first.pk
    assert list(OutboxMessage.objects.values_list("payload", "available_at")) == [({"n": 1}, NOW)]


def test_enqueue_revives_a_cancelled_row_with_the_new_payload(frozen_now):
    add({"n": 1}, dedupe_key="booking:1:reminder:x")
    cancel_pending("booking:1:reminder:")

    revived = add(
        {"n": 2}, dedupe_key="booking:1:reminder:x", available_at=NOW + timedelta(hours=2)
    )

    assert (revived.status, revived.payload, revived.available_at, revived.attempts) == (
        OutboxStatus.PENDING,
        {"n": 2},
        NOW + timedelta(hours=2),
        0,
    )


def test_cancel_pending_cancels_waiting_rows_of_the_prefix_only(frozen_now):
    pending = add(dedupe_key="booking:1:reminder:a")
    failed = add(dedupe_key="booking:1:reminder:b")
    OutboxMessage.objects.filter(pk=failed.pk).update(status=OutboxStatus.FAILED)
    running = add(dedupe_key="booking:1:reminder:c")
    OutboxMessage.objects.filter(pk=running.pk).update(status=OutboxStatus.PROCESSING)
    other = add(dedupe_key="booking:12:reminder:a")

    with transaction.atomic():
        cancelled = cancel_pending("booking:1:reminder:")

    assert cancelled == 2
    statuses = dict(OutboxMessage.objects.values_list("pk", "status"))
    assert statuses == {
        pending.pk: OutboxStatus.CANCELLED,
        failed.pk: OutboxStatus.CANCELLED,
        running.pk: OutboxStatus.PROCESSING,
        other.pk: OutboxStatus.PENDING,
    }


def test_cancel_pending_refuses_an_empty_prefix():
    with pytest.raises(ValueError):
        cancel_pending("")


# -- dispatch ---------------------------------------------------------------------------


def test_dispatch_runs_due_rows_once_and_marks_them_done(frozen_now, scripted):
    due = add()
    later = add(available_at=NOW + timedelta(minutes=5))

    assert dispatch_due(NOW) == 1
    assert dispatch_due(NOW) == 0

    due.refresh_from_db()
    assert scripted.runs == [due.pk]
    assert (due.status, due.attempts, due.processed_at, due.locked_until) == (
        OutboxStatus.DONE,
        1,
        NOW,
        None,
    )
    assert OutboxMessage.objects.get(pk=later.pk).status == OutboxStatus.PENDING
    assert list(OutboxAttempt.objects.values_list("message_id", "number", "succeeded")) == [
        (due.pk, 1, True)
    ]


def test_a_failed_run_is_retried_after_a_jittered_backoff(frozen_now, scripted, settings):
    settings.OUTBOX_BACKOFF_BASE_SECONDS = 60
    message = add()
    scripted.outcomes = [ConnectionRefusedError("mail server down")]

    dispatch_due(NOW)

    message.refresh_from_db()
    assert message.status == OutboxStatus.FAILED
    assert message.attempts == 1
    assert message.last_error == "ConnectionRefusedError: mail server down"
    assert NOW + timedelta(seconds=30) <= message.available_at <= NOW + timedelta(seconds=60)
    assert dispatch_due(message.available_at - timedelta(seconds=1)) == 0

    assert dispatch_due(message.available_at) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (OutboxStatus.DONE, 2, "")
    assert scripted.runs == [message.pk, message.pk]


def test_backoff_doubles_up_to_the_cap_with_jitter_within_bounds(settings):
    settings.OUTBOX_BACKOFF_BASE_SECONDS = 30
    settings.OUTBOX_BACKOFF_MAX_SECONDS = 3600
    rng = random.Random(7)

    for attempt, ceiling in [(1, 30), (2, 60), (3, 120), (4, 240), (8, 3600), (30, 3600)]:
        waits = [backoff_delay(attempt, rng=rng).total_seconds() for _ in range(200)]
        assert min(waits) >= ceiling / 2
        assert max(waits) <= ceiling
        assert len(set(waits)) == 200  # jittered: no two workers wait the same
        assert max(waits) - min(waits) > ceiling / 4


def test_a_permanent_error_makes_the_row_dead_at_once(frozen_now, scripted):
    message = add()
    scripted.outcomes = [PermanentError("550 no such mailbox")]

    dispatch_due(NOW)

    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (
        OutboxStatus.DEAD,
        1,
        "PermanentError: 550 no such mailbox",
    )
    assert dispatch_due(NOW + timedelta(days=1)) == 0


def test_the_last_allowed_attempt_failing_makes_the_row_dead(frozen_now, scripted, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    message = add()
    scripted.outcomes = [TimeoutError("1"), TimeoutError("2"), TimeoutError("3")]

    for _ in range(3):
        dispatch_due(NOW + timedelta(days=1))

    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (
        OutboxStatus.DEAD,
        3,
        "TimeoutError: 3",
    )
    assert len(scripted.runs) == 3


def test_a_topic_without_handler_is_retried_not_lost(frozen_now):
    with transaction.atomic():
        message = enqueue("tests.nobody-handles-this", {})

    dispatch_due(NOW)

    message.refresh_from_db()
    assert message.status == OutboxStatus.FAILED
    assert (
        message.last_error
        == 'LookupError: No outbox handler for topic "tests.nobody-handles-this".'
    )


def test_a_row_whose_worker_died_is_claimed_again_after_the_lease(frozen_now, scripted, settings):
    settings.OUTBOX_LEASE_SECONDS = 300
    message = add()
    crashed = claim_due(NOW, 10)  # a worker claims it, then dies without running it
    assert [claim.message_id for claim in crashed] == [message.pk]

    assert dispatch_due(NOW + timedelta(seconds=299)) == 0
    assert dispatch_due(NOW + timedelta(seconds=300)) == 1

    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.DONE, 2)
    assert scripted.runs == [message.pk]
    # The run that never reported is in the row's history.
    assert list(message.runs.values_list("number", "succeeded", "error")) == [
        (1, False, outbox.LOST_ATTEMPT_ERROR),
        (2, True, ""),
    ]


def test_a_late_outcome_from_a_worker_that_lost_its_lease_is_ignored(frozen_now, scripted):
    message = add()
    [slow] = claim_due(NOW, 10)
    [fast] = claim_due(NOW + timedelta(hours=1), 10)  # the lease ran out; another worker
    outbox.run_claimed(fast)

    scripted.outcomes = [TimeoutError("too late")]
    outbox.run_claimed(slow)

    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (OutboxStatus.DONE, 2, "")


def test_a_row_that_crashed_on_every_attempt_becomes_dead(frozen_now, scripted, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    message = add()
    claim_due(NOW, 10)
    claim_due(NOW + timedelta(hours=1), 10)

    assert dispatch_due(NOW + timedelta(hours=2)) == 0

    message.refresh_from_db()
    assert message.status == OutboxStatus.DEAD
    assert message.last_error == "Gave up after 2 attempts (last one did not finish)."
    assert scripted.runs == []


def test_retry_now_revives_dead_rows_with_fresh_attempts(frozen_now, scripted):
    message = add()
    scripted.outcomes = [PermanentError("400 bad request")]
    dispatch_due(NOW)

    assert retry_now([message.pk], NOW + timedelta(minutes=1)) == 1
    assert dispatch_due(NOW + timedelta(minutes=1)) == 1

    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.DONE, 1)


def test_purge_deletes_old_done_and_cancelled_rows_only(frozen_now, settings):
    settings.OUTBOX_RETENTION_DAYS = 30
    old_done = add()
    recent_done = add()
    old_dead = add()
    old_cancelled = add()
    OutboxMessage.objects.filter(pk=old_done.pk).update(
        status=OutboxStatus.DONE, processed_at=NOW - timedelta(days=31)
    )
    OutboxMessage.objects.filter(pk=recent_done.pk).update(
        status=OutboxStatus.DONE, processed_at=NOW - timedelta(days=29)
    )
    OutboxMessage.objects.filter(pk=old_dead.pk).update(
        status=OutboxStatus.DEAD, processed_at=NOW - timedelta(days=90)
    )
    OutboxMessage.objects.filter(pk=old_cancelled.pk).update(
        status=OutboxStatus.CANCELLED, processed_at=NOW - timedelta(days=31)
    )

    assert purge_finished(NOW) == 2

    assert sorted(OutboxMessage.objects.values_list("pk", flat=True)) == [
        recent_done.pk,
        old_dead.pk,
    ]


@pytest.mark.postgresql
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs SKIP LOCKED (PostgreSQL)")
@pytest.mark.django_db(transaction=True)
def test_a_claim_skips_rows_another_transaction_has_locked(scripted):
    first = add()
    second = add()
    locked = threading.Event()
    release = threading.Event()

    def hold_first_row() -> None:
        try:
            with transaction.atomic():
                list(OutboxMessage.objects.select_for_update().filter(pk=first.pk))
                locked.set()
                release.wait(10)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_first_row)
    holder.start()
    try:
        assert locked.wait(10)
        claims = claim_due(first.available_at + timedelta(seconds=1), 10)
    finally:
        release.set()
        holder.join(10)

    assert [claim.message_id for claim in claims] == [second.pk]


def test_enqueue_many_writes_new_rows_keeps_known_ones_and_revives_cancelled(frozen_now):
    later = frozen_now + timedelta(hours=2)
    with transaction.atomic():
        known = enqueue("t.known", {"n": 1}, dedupe_key="k-known")
        cancelled = enqueue("t.old", {"n": 2}, dedupe_key="k-cancelled")
        cancel_pending("k-cancelled")

    with transaction.atomic():
        rows = enqueue_many(
            [
                Outgoing("t.new", {"n": 3}, dedupe_key="k-new", available_at=later),
                Outgoing("t.known", {"n": 99}, dedupe_key="k-known"),
                Outgoing("t.revived", {"n": 4}, dedupe_key="k-cancelled"),
                Outgoing("t.plain", {"n": 5}),
                Outgoing("t.twice", {"n": 6}, dedupe_key="k-new"),
            ]
        )

    assert [row.topic for row in rows] == ["t.new", "t.known", "t.revived", "t.plain", "t.new"]
    assert rows[0].pk is not None and rows[4] is rows[0] and rows[0].available_at == later
    assert rows[3].pk is not None
    assert rows[1].pk == known.pk and rows[1].payload == {"n": 1}
    assert rows[2].pk == cancelled.pk and rows[2].status == OutboxStatus.PENDING
    assert rows[2].payload == {"n": 4}
    assert OutboxMessage.objects.count() == 4  # known, cancelled (revived), new, plain
