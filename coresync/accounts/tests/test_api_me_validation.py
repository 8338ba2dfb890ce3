"""``PATCH me/`` validates what it stores (ARCHITECTURE.md "HTTP API"): preferences from the
booking vocabulary, notification switches per channel and kind, an E.164 phone and a
plausible birthday; anything else is 400 ``invalid`` and changes nothing."""

import pytest
from rest_framework.test import APIClient

from conftest import make_customer
from coresync.accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(spa, frozen_now):
    user = make_customer("me@example.com")
    user.preferences = {"pressure": "firm"}
    user.notification_preferences = {"sms": True}
    user.phone = "+15515742281"
    user.save()
    client = APIClient()
    client.force_authenticate(user)
    client.user = user
    return client


def _unchanged(user: User) -> None:
    fresh = User.objects.get(pk=user.pk)
    assert fresh.preferences == {"pressure": "firm"}
    assert fresh.notification_preferences == {"sms": True}
    assert fresh.phone == "+15515742281"
    assert fresh.birthday is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"preferences": "firm please"}, "preferences"),
        ({"preferences": ["firm"]}, "preferences"),
        ({"preferences": {"pressure": "crushing"}}, "preferences"),
        ({"preferences": {"pressure": 3}}, "preferences"),
        ({"preferences": {"x" * 2_400_000: "y"}}, "preferences"),
        ({"preferences": {"favourite_colour": "gold"}}, "preferences"),
        ({"notification_preferences": "all"}, "notification_preferences"),
        ({"notification_preferences": {"email": "yes"}}, "notification_preferences"),
        ({"notification_preferences": {"fax": True}}, "notification_preferences"),
        ({"phone": "call me maybe"}, "phone"),
        ({"phone": "+0123"}, "phone"),
        ({"birthday": "2999-01-01"}, "birthday"),
        ({"birthday": "1850-01-01"}, "birthday"),
    ],
)
def test_bad_values_are_400_invalid_naming_the_field_and_change_nothing(api, body, field):
    response = api.patch("/api/v1/me/", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "invalid"
    assert field in response.json()["error"]["fields"]
    _unchanged(api.user)


def test_good_values_are_stored_normalized(api):
    response = api.patch(
        "/api/v1/me/",
        {
            "preferences": {"pressure": "light", "music": "jazz", "scene": ""},
            "notification_preferences": {"review_requests": False, "email": True},
            "phone": "(551) 574-2299",
            "birthday": "1990-05-17",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["preferences"] == {"pressure": "light", "music": "jazz"}
    assert body["notification_preferences"] == {
        "sms": True,
        "review_requests": False,
        "email": True,
    }
    assert body["phone"] == "+15515742299"
    assert body["birthday"] == "1990-05-17"


def test_pages_survive_preferences_stored_before_validation(api, client):
    User.objects.filter(pk=api.user.pk).update(
        preferences="firm", notification_preferences=["email"]
    )
    client.force_login(api.user)
    assert client.get("/account/preferences/").status_code == 200
    assert client.get("/book/?service=swedish").status_code == 200
    assert api.get("/api/v1/me/").status_code == 200
