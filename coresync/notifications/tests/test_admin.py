"""The outbox and delivery-log admin: read-only records, filters, and "retry now"."""

import pytest
from django.contrib.messages import get_messages
from django.db import transaction
from django.urls import reverse

from coresync.accounts.models import User
from coresync.notifications.models import (
    DeliveryStatus,
    EmailLog,
    NotificationLog,
    OutboxMessage,
    OutboxStatus,
)
from coresync.notifications.outbox import enqueue

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client):
    user = User.objects.create_superuser("manager@coresync.test", None, name="Mia Manager")
    client.force_login(user)
    return user


@pytest.fixture
def dead_message():
    with transaction.atomic():
        message = enqueue("notifications.email", {"kind": "booking_confirmation", "booking_id": 7})
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=OutboxStatus.DEAD, attempts=12, last_error="PermanentError: 550 no such user"
    )
    EmailLog.objects.create(
        outbox_message=message,
        to="guest@example.com",
        kind="booking_confirmation",
        status=DeliveryStatus.FAILED,
        error="PermanentError: 550 no such user",
    )
    return message


def test_the_outbox_changelist_filters_by_status_and_shows_the_error(client, manager, dead_message):
    response = client.get(
        reverse("admin:notifications_outboxmessage_changelist"), {"status__exact": "dead"}
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert "booking_confirmation" in content
    assert "PermanentError: 550 no such user" in content
    assert "Retry now (failed or dead messages)" in content


def test_an_outbox_message_page_is_read_only_with_its_payload(client, manager, dead_message):
    response = client.get(
        reverse("admin:notifications_outboxmessage_change", args=[dead_message.pk])
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert "&quot;booking_id&quot;: 7" in content
    assert 'name="payload"' not in content
    assert 'name="_save"' not in content


def test_retry_now_makes_a_dead_message_due_with_fresh_attempts(client, manager, dead_message):
    response = client.post(
        reverse("admin:notifications_outboxmessage_changelist"),
        {"action": "retry_selected", "_selected_action": [dead_message.pk]},
    )

    assert response.status_code == 302
    dead_message.refresh_from_db()
    assert (dead_message.status, dead_message.attempts) == (OutboxStatus.PENDING, 0)
    assert [str(message) for message in get_messages(response.wsgi_request)] == [
        "1 message(s) will be sent on the next dispatch run."
    ]


def test_the_delivery_logs_are_listed_and_cannot_be_added(client, manager, dead_message):
    NotificationLog.objects.create(
        channel="push", to="1", kind="reminder_15m", status=DeliveryStatus.SENT
    )

    emails = client.get(reverse("admin:notifications_emaillog_changelist"))
    pushes = client.get(reverse("admin:notifications_notificationlog_changelist"))
    add = client.get(reverse("admin:notifications_emaillog_add"))

    assert emails.status_code == 200
    assert "guest@example.com" in emails.content.decode()
    assert pushes.status_code == 200
    assert "reminder_15m" in pushes.content.decode()
    assert add.status_code == 403
