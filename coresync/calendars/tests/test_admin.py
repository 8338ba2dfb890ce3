"""The calendar feed admin: read-only rows, a revoke action through the service."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from coresync.accounts.models import User
from coresync.calendars.models import CalendarFeed, FeedKind
from coresync.calendars.services import create_feed, revoke_feed

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:calendars_calendarfeed_changelist"


@pytest.fixture
def superuser(client):
    user = User.objects.create_superuser("boss@coresync.test", None, name="Mia Manager")
    client.force_login(user)
    return user


@pytest.fixture
def feeds(spa, customer):
    return [
        create_feed(kind=FeedKind.CUSTOMER, owner=customer),
        create_feed(kind=FeedKind.TECHNICIAN, owner=spa.ana),
        create_feed(kind=FeedKind.ROOM, owner=spa.suite),
    ]


def test_revoke_action_revokes_live_feeds_through_the_service(client, superuser, feeds):
    customer_feed, technician_feed, room_feed = feeds
    revoke_feed(room_feed)

    response = client.post(
        reverse(CHANGELIST),
        {"action": "revoke", "_selected_action": [feed.pk for feed in feeds]},
        follow=True,
    )

    assert response.status_code == 200
    assert [str(message) for message in get_messages(response.wsgi_request)] == [
        "Revoked 2 feed(s)."
    ]
    for feed in (customer_feed, technician_feed):
        feed.refresh_from_db()
        assert feed.revoked_at is not None and feed.revoked_by == superuser
    assert CalendarFeed.objects.live().count() == 0


def test_changelist_and_filters_render(client, superuser, feeds):
    for query in ("", "?state=live", "?state=revoked", "?kind=room", "?q=guest@example.com"):
        assert client.get(reverse(CHANGELIST) + query).status_code == 200


def test_change_page_hides_customer_urls_and_shows_staff_urls(client, superuser, feeds):
    customer_feed, technician_feed, _ = feeds

    customer_page = client.get(
        reverse("admin:calendars_calendarfeed_change", args=[customer_feed.pk])
    ).content.decode()
    technician_page = client.get(
        reverse("admin:calendars_calendarfeed_change", args=[technician_feed.pk])
    ).content.decode()

    assert customer_feed.token not in customer_page
    assert "not shown" in customer_page
    assert f"/calendars/{technician_feed.token}.ics" in technician_page


def test_no_add_and_no_delete(client, superuser, feeds):
    assert client.get(reverse("admin:calendars_calendarfeed_add")).status_code == 403
    delete = reverse("admin:calendars_calendarfeed_delete", args=[feeds[0].pk])
    assert client.get(delete).status_code == 403
