"""``/api/v1/calendars/feeds/``: who may get, rotate and revoke which feed."""

import pytest
from rest_framework.test import APIClient

from conftest import make_customer
from coresync.accounts.models import Role, User
from coresync.calendars.models import CalendarFeed, FeedKind

pytestmark = pytest.mark.django_db

FEEDS = "/api/v1/calendars/feeds/"


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def technician_user(spa):
    user = User.objects.create_user(
        "ana@spa.test", "pass-word-123", name="Ana Lima", role=Role.TECHNICIAN
    )
    spa.ana.user = user
    spa.ana.save(update_fields=["user"])
    return user


def test_customer_gets_the_same_private_url_until_rotating(spa, customer, settings):
    settings.SITE_URL = "https://spa.example.com"
    api = as_user(customer)

    created = api.post(FEEDS, {}, format="json")
    again = api.post(FEEDS, {"kind": "customer"}, format="json")

    assert created.status_code == 201 and again.status_code == 200
    body = created.json()
    feed = CalendarFeed.objects.get()
    assert body == {
        "id": feed.pk,
        "kind": "customer",
        "technician": None,
        "room": None,
        "url": f"https://spa.example.com/calendars/{feed.token}.ics",
        "webcal_url": f"webcal://spa.example.com/calendars/{feed.token}.ics",
        "created_at": body["created_at"],
    }
    assert again.json() == body
    assert feed.user == customer and feed.created_by == customer
    listed = api.get(FEEDS).json()
    assert [item["id"] for item in listed["results"]] == [feed.pk]


def test_rotate_gives_a_new_url_and_the_old_one_dies(client, spa, customer):
    api = as_user(customer)
    old = api.post(FEEDS, {}, format="json").json()

    rotated = api.post(f"{FEEDS}{old['id']}/rotate/")

    assert rotated.status_code == 201
    new = rotated.json()
    assert new["id"] != old["id"] and new["url"] != old["url"]
    old_path = old["url"].split("://", 1)[1].split("/", 1)[1]
    new_path = new["url"].split("://", 1)[1].split("/", 1)[1]
    assert client.get(f"/{old_path}").status_code == 404
    assert client.get(f"/{new_path}").status_code == 200
    assert [item["id"] for item in api.get(FEEDS).json()["results"]] == [new["id"]]
    assert api.post(f"{FEEDS}{old['id']}/rotate/").status_code == 404


def test_delete_revokes(client, spa, customer):
    api = as_user(customer)
    feed = api.post(FEEDS, {}, format="json").json()

    response = api.delete(f"{FEEDS}{feed['id']}/")

    assert response.status_code == 204
    row = CalendarFeed.objects.get(pk=feed["id"])
    assert row.revoked_at is not None and row.revoked_by == customer
    assert client.get(f"/calendars/{row.token}.ics").status_code == 404
    assert api.get(FEEDS).json()["results"] == []
    assert api.delete(f"{FEEDS}{feed['id']}/").status_code == 404


def test_another_customers_feed_is_not_found(spa, customer):
    other = make_customer("other@example.com")
    feed = as_user(other).post(FEEDS, {}, format="json").json()
    api = as_user(customer)

    assert api.get(FEEDS).json()["results"] == []
    assert api.delete(f"{FEEDS}{feed['id']}/").json()["error"]["code"] == "not_found"
    assert api.post(f"{FEEDS}{feed['id']}/rotate/").status_code == 404
    assert CalendarFeed.objects.get(pk=feed["id"]).revoked_at is None
    assert api.delete(f"{FEEDS}{'9' * 30}/").json()["error"]["code"] == "not_found"


def test_customer_may_not_publish_a_technician_or_room(spa, customer):
    api = as_user(customer)

    technician = api.post(FEEDS, {"kind": "technician", "technician": "ana"}, format="json")
    own_technician = api.post(FEEDS, {"kind": "technician"}, format="json")
    room = api.post(FEEDS, {"kind": "room", "room": "suite-a"}, format="json")

    assert technician.status_code == 403 and technician.json()["error"]["code"] == "forbidden"
    assert own_technician.status_code == 400
    assert own_technician.json()["error"]["fields"] == {"technician": "This field is required."}
    assert room.status_code == 403
    assert CalendarFeed.objects.count() == 0


def test_technician_gets_their_own_feed_not_a_colleagues(spa, technician_user):
    api = as_user(technician_user)

    own = api.post(FEEDS, {"kind": "technician"}, format="json")
    by_slug = api.post(FEEDS, {"kind": "technician", "technician": "ana"}, format="json")
    colleague = api.post(FEEDS, {"kind": "technician", "technician": "ben"}, format="json")

    assert own.status_code == 201 and own.json()["technician"] == "ana"
    assert by_slug.status_code == 200 and by_slug.json()["id"] == own.json()["id"]
    assert colleague.status_code == 403
    assert [item["kind"] for item in api.get(FEEDS).json()["results"]] == ["technician"]


def test_technician_sees_a_feed_a_manager_made_for_them(spa, technician_user, manager):
    made = as_user(manager).post(FEEDS, {"kind": "technician", "technician": "ana"}, format="json")

    listed = as_user(technician_user).get(FEEDS).json()["results"]

    assert [item["id"] for item in listed] == [made.json()["id"]]


def test_manager_publishes_any_room_or_technician_but_not_customer_feeds(spa, manager, customer):
    api = as_user(manager)
    customer_feed = as_user(customer).post(FEEDS, {}, format="json").json()

    room = api.post(FEEDS, {"kind": "room", "room": "steam"}, format="json")
    technician = api.post(FEEDS, {"kind": "technician", "technician": "ben"}, format="json")

    assert room.status_code == 201 and room.json()["room"] == "steam"
    assert technician.status_code == 201 and technician.json()["technician"] == "ben"
    listed = {item["id"] for item in api.get(FEEDS).json()["results"]}
    assert listed == {room.json()["id"], technician.json()["id"]}
    assert api.delete(f"{FEEDS}{customer_feed['id']}/").status_code == 404
    assert api.delete(f"{FEEDS}{room.json()['id']}/").status_code == 204


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"kind": "room"}, "room"),
        ({"kind": "room", "room": "nowhere"}, "room"),
        ({"kind": "technician", "technician": "nobody"}, "technician"),
        ({"kind": "customer", "room": "steam"}, "room"),
        ({"kind": "room", "room": "steam", "technician": "ana"}, "technician"),
        ({"kind": "spa"}, "kind"),
    ],
)
def test_bad_payloads_are_400_with_the_field(spa, manager, payload, field):
    response = as_user(manager).post(FEEDS, payload, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert field in response.json()["error"]["fields"]
    assert CalendarFeed.objects.count() == 0


def test_token_cannot_be_chosen(spa, customer):
    response = as_user(customer).post(FEEDS, {"token": "my-own-token-12345678"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "read_only_field"
    assert CalendarFeed.objects.count() == 0


def test_anonymous_is_401(spa):
    response = APIClient().get(FEEDS)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_room_feed_of_an_inactive_room_is_refused(spa, manager):
    spa.suite.is_active = False
    spa.suite.save(update_fields=["is_active"])

    response = as_user(manager).post(
        FEEDS, {"kind": FeedKind.ROOM, "room": "suite-a"}, format="json"
    )

    assert response.status_code == 400
