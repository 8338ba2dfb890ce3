"""Managers create, change and deactivate services and add-ons over the API; nobody else
can, and a refused write changes nothing (docs/api-manage.md)."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from conftest import make_customer
from coresync.accounts.services import set_role
from coresync.catalog.models import AddOn, Service, ServiceVariant
from coresync.memberships.models import TierPrice

pytestmark = pytest.mark.django_db

NEW_SERVICE = {
    "slug": "hot-stone",
    "name": "Hot Stone Massage",
    "description": "Warm basalt stones.",
    "category": "massage",
    "skill": "massage",
    "room_types": ["private", "mensuite"],
    "buffer_before": 5,
    "buffer_after": 10,
    "slot_interval_minutes": 30,
    "durations": [{"minutes": 90, "price": "160.00"}, {"minutes": 60, "price": "120"}],
    "addons": ["cbd-oil"],
}


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def as_manager(manager):
    return client_for(manager)


def staff(role: str):
    user = make_customer(f"{role}@example.com")
    return set_role(user, role) if role != "customer" else user


def service_rows():
    """Everything a service write may touch, to prove a refused one changed nothing."""
    return (
        list(Service.objects.order_by("slug").values()),
        list(ServiceVariant.objects.order_by("service_id", "minutes").values()),
        sorted(AddOn.services.through.objects.values_list("addon_id", "service_id")),
    )


def test_manager_creates_a_service(as_manager, spa):
    response = as_manager.post("/api/v1/services/", NEW_SERVICE, format="json")

    assert response.status_code == 201, response.content
    assert response.json() == {
        "slug": "hot-stone",
        "name": "Hot Stone Massage",
        "description": "Warm basalt stones.",
        "category": "massage",
        "durations": [{"minutes": 60, "price": "120.00"}, {"minutes": 90, "price": "160.00"}],
        "skill": "massage",
        "self_guided": False,
        "room_types": ["private", "mensuite"],
        "buffer_before": 5,
        "buffer_after": 10,
        "slot_interval_minutes": 30,
        "max_guests": 1,
        "addons": ["cbd-oil"],
        "is_active": True,
    }
    public = client_for().get("/api/v1/services/hot-stone/").json()
    assert "is_active" not in public
    assert public["durations"] == [
        {"minutes": 60, "price": "120.00"},
        {"minutes": 90, "price": "160.00"},
    ]


def test_manager_creates_a_self_guided_service(as_manager, spa):
    payload = {
        "slug": "sauna",
        "name": "Sauna",
        "category": "thermal",
        "self_guided": True,
        "room_types": ["shared"],
        "max_guests": 4,
        "durations": [{"minutes": 45, "price": "30.00"}],
    }

    response = as_manager.post("/api/v1/services/", payload, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["skill"], body["self_guided"], body["max_guests"]) == ("", True, 4)


def test_patch_replaces_durations_and_addons_as_a_whole(as_manager, spa):
    TierPrice.objects.create(service=spa.swedish, tier="premium", minutes=90, price="80.00")
    TierPrice.objects.create(service=spa.swedish, tier="premium", minutes=60, price="55.00")

    response = as_manager.patch(
        "/api/v1/services/swedish/",
        {"durations": [{"minutes": 60, "price": "110.00"}], "addons": [], "buffer_after": 0},
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["durations"] == [{"minutes": 60, "price": "110.00"}]
    assert body["addons"] == []
    assert body["buffer_after"] == 0
    assert body["name"] == "Swedish Massage"  # untouched
    assert list(spa.hot_stones.services.values_list("slug", flat=True)) == ["couples"]
    # The 90-minute tier price went with its duration.
    assert list(TierPrice.objects.values_list("minutes", "price")) == [(60, Decimal("55.00"))]


def test_put_needs_every_required_field(as_manager, spa):
    before = service_rows()

    response = as_manager.put("/api/v1/services/swedish/", {"name": "Swedish"}, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"slug", "category", "room_types", "durations"}
    assert service_rows() == before


def test_put_replaces_the_service(as_manager, spa):
    payload = {**NEW_SERVICE, "slug": "swedish", "addons": ["hot-stones"]}

    response = as_manager.put("/api/v1/services/swedish/", payload, format="json")

    assert response.status_code == 200, response.content
    swedish = Service.objects.get(slug="swedish")
    assert swedish.name == "Hot Stone Massage"
    assert (swedish.buffer_before, swedish.buffer_after) == (5, 10)
    assert list(swedish.variants.values_list("minutes", "price")) == [
        (60, Decimal("120.00")),
        (90, Decimal("160.00")),
    ]
    assert list(swedish.addons.values_list("slug", flat=True)) == ["hot-stones"]


def test_a_service_can_change_its_slug(as_manager, spa):
    response = as_manager.patch(
        "/api/v1/services/swedish/", {"slug": "swedish-classic"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["slug"] == "swedish-classic"
    assert Service.objects.get(pk=spa.swedish.pk).slug == "swedish-classic"


def test_delete_deactivates_and_managers_still_see_it(as_manager, spa):
    response = as_manager.delete("/api/v1/services/swedish/")

    assert response.status_code == 204
    assert Service.objects.get(pk=spa.swedish.pk).is_active is False
    assert ServiceVariant.objects.filter(service=spa.swedish).count() == 2
    public = client_for()
    assert [s["slug"] for s in public.get("/api/v1/services/").json()] == ["couples", "steam"]
    assert public.get("/api/v1/services/swedish/").status_code == 404
    assert [s["slug"] for s in as_manager.get("/api/v1/services/").json()] == ["couples", "steam"]
    listed = as_manager.get("/api/v1/services/", {"include_inactive": "true"}).json()
    assert [(s["slug"], s["is_active"]) for s in listed] == [
        ("couples", True),
        ("swedish", False),
        ("steam", True),
    ]
    assert as_manager.get("/api/v1/services/swedish/").json()["is_active"] is False
    again = as_manager.delete("/api/v1/services/swedish/")
    assert again.status_code == 204
    revived = as_manager.patch("/api/v1/services/swedish/", {"is_active": True}, format="json")
    assert revived.json()["is_active"] is True


def test_include_inactive_is_ignored_for_the_public_and_checked_for_managers(as_manager, spa):
    Service.objects.filter(pk=spa.steam.pk).update(is_active=False)

    public = client_for().get("/api/v1/services/", {"include_inactive": "true"}).json()
    bad = as_manager.get("/api/v1/services/", {"include_inactive": "maybe"})

    assert [s["slug"] for s in public] == ["couples", "swedish"]
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"] == {"include_inactive": "Use true or false."}


def test_managers_see_every_linked_addon_the_public_only_active_ones(as_manager, spa):
    AddOn.objects.filter(pk=spa.cbd.pk).update(is_active=False)

    public = client_for().get("/api/v1/services/swedish/").json()
    managed = as_manager.get("/api/v1/services/swedish/").json()

    assert public["addons"] == ["hot-stones"]
    assert managed["addons"] == ["cbd-oil", "hot-stones"]


@pytest.mark.parametrize("role", ["customer", "technician", "front_desk"])
def test_other_roles_cannot_write_services(spa, role):
    api = client_for(staff(role))
    before = service_rows()

    responses = [
        api.post("/api/v1/services/", NEW_SERVICE, format="json"),
        api.patch("/api/v1/services/swedish/", {"name": "Renamed"}, format="json"),
        api.put("/api/v1/services/swedish/", NEW_SERVICE, format="json"),
        api.delete("/api/v1/services/swedish/"),
    ]

    assert [(r.status_code, r.json()["error"]["code"]) for r in responses] == [
        (403, "forbidden")
    ] * 4
    assert service_rows() == before


def test_anonymous_writes_are_401(spa):
    api = client_for()
    before = service_rows()

    responses = [
        api.post("/api/v1/services/", NEW_SERVICE, format="json"),
        api.patch("/api/v1/services/swedish/", {"name": "Renamed"}, format="json"),
        api.delete("/api/v1/services/swedish/"),
        api.post("/api/v1/addons/", {"slug": "x", "name": "X", "price": "1.00"}, format="json"),
    ]

    assert [(r.status_code, r.json()["error"]["code"]) for r in responses] == [
        (401, "unauthenticated")
    ] * 4
    assert service_rows() == before


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"slug": "swedish"}, "slug", '"swedish" is already used by another service'),
        ({"slug": "hot stone"}, "slug", "expected a slug"),
        ({"category": "facial"}, "category", 'unknown category "facial"'),
        ({"addons": ["cbd-oil", "gold-leaf"]}, "addons", 'unknown add-on "gold-leaf"'),
        ({"room_types": ["sauna"]}, "room_types", '[0]: unknown room type "sauna"'),
        ({"room_types": []}, "room_types", "must list at least one item"),
        ({"self_guided": True}, "skill", "a self-guided service needs no technician"),
        ({"skill": ""}, "skill", "required unless the service is self-guided"),
        ({"durations": []}, "durations", "must list at least one item"),
        (
            {"durations": [{"minutes": 60, "price": "-1.00"}]},
            "durations",
            "[0].price: must be 0 or more",
        ),
        (
            {"durations": [{"minutes": 60, "price": "1.005"}]},
            "durations",
            "Ensure that there are no more than 2 decimal places.",
        ),
        (
            {"durations": [{"minutes": 60, "price": "1.00"}, {"minutes": 60, "price": "2.00"}]},
            "durations",
            "[1].minutes: 60 minutes is listed twice",
        ),
        ({"durations": [{"minutes": 2, "price": "1.00"}]}, "durations", "[0].minutes: must be"),
        ({"buffer_before": -5}, "buffer_before", "must be between 0 and 240"),
        ({"slot_interval_minutes": 3}, "slot_interval_minutes", "must be between 5 and 240"),
        ({"max_guests": 0}, "max_guests", "must be between 1 and 20"),
        ({"name": "  "}, "name", "This field may not be blank."),
        ({"colour": "blue"}, "colour", "Unknown field."),
    ],
)
def test_bad_service_input_is_400_naming_the_field(as_manager, spa, change, field, message):
    before = service_rows()

    response = as_manager.post("/api/v1/services/", {**NEW_SERVICE, **change}, format="json")

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == [field]
    assert message in error["fields"][field]
    assert service_rows() == before


def test_a_refused_update_changes_nothing(as_manager, spa):
    before = service_rows()

    response = as_manager.patch(
        "/api/v1/services/swedish/",
        {"name": "Renamed", "durations": [{"minutes": 30, "price": "50.00"}], "self_guided": True},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "skill": "a self-guided service needs no technician, so no skill"
    }
    assert service_rows() == before


def test_unknown_service_is_404_for_managers(as_manager, spa):
    response = as_manager.patch("/api/v1/services/nope/", {"name": "X"}, format="json")

    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")


# -- add-ons -------------------------------------------------------------------------------


def test_manager_creates_updates_and_deactivates_an_addon(as_manager, spa):
    created = as_manager.post(
        "/api/v1/addons/",
        {
            "slug": "scalp-massage",
            "name": "Scalp Massage",
            "price": "15",
            "extra_minutes": 10,
            "services": ["swedish", "couples"],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json() == {
        "slug": "scalp-massage",
        "name": "Scalp Massage",
        "description": "",
        "price": "15.00",
        "extra_minutes": 10,
        "services": ["couples", "swedish"],
        "is_active": True,
    }

    updated = as_manager.patch(
        "/api/v1/addons/scalp-massage/",
        {"price": "18.50", "services": ["swedish"], "description": "Ten quiet minutes."},
        format="json",
    )
    assert updated.status_code == 200
    assert updated.json()["price"] == "18.50"
    assert updated.json()["services"] == ["swedish"]
    assert updated.json()["description"] == "Ten quiet minutes."

    deleted = as_manager.delete("/api/v1/addons/scalp-massage/")
    assert deleted.status_code == 204
    assert AddOn.objects.get(slug="scalp-massage").is_active is False
    public = client_for().get("/api/v1/addons/").json()
    assert [addon["slug"] for addon in public] == ["cbd-oil", "hot-stones"]
    assert "is_active" not in public[0]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"slug": "cbd-oil", "name": "CBD", "price": "1.00"}, "slug"),
        ({"slug": "x", "name": "X", "price": "-0.01"}, "price"),
        ({"slug": "x", "name": "X", "price": "1.00", "services": ["nope"]}, "services"),
        ({"slug": "x", "name": "X", "price": "1.00", "extra_minutes": 500}, "extra_minutes"),
        ({"slug": "x", "name": "X"}, "price"),
    ],
)
def test_bad_addon_input_is_400_naming_the_field(as_manager, spa, payload, field):
    count = AddOn.objects.count()

    response = as_manager.post("/api/v1/addons/", payload, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]
    assert AddOn.objects.count() == count


def test_customer_cannot_write_addons(spa, customer):
    api = client_for(customer)

    responses = [
        api.post("/api/v1/addons/", {"slug": "x", "name": "X", "price": "1.00"}, format="json"),
        api.patch("/api/v1/addons/cbd-oil/", {"price": "0.00"}, format="json"),
        api.delete("/api/v1/addons/cbd-oil/"),
    ]

    assert [r.status_code for r in responses] == [403, 403, 403]
    cbd = AddOn.objects.get(slug="cbd-oil")
    assert (cbd.price, cbd.is_active, AddOn.objects.count()) == (Decimal("25.00"), True, 2)
