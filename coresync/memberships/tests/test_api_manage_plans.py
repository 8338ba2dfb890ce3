"""Managers create, change and deactivate membership plans over the API, cancellation
overrides included; nobody else can, and a refused write changes nothing."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from conftest import make_customer
from coresync.accounts.services import set_role
from coresync.memberships.models import Membership, MembershipPlan

pytestmark = pytest.mark.django_db

NEW_PLAN = {
    "slug": "glow",
    "name": "Glow",
    "tier": "base",
    "advance_days": 14,
    "discount_percent": "12.5",
    "monthly_price": "79.00",
    "included_credits": 1,
    "benefits": ["Robe and slippers"],
    "birthday_benefit": "A free facial",
    "free_cancellation_hours": 48,
    "late_cancellation_fee_percent": "25.00",
}


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def as_manager(manager):
    return client_for(manager)


def plan_rows():
    return list(MembershipPlan.objects.order_by("pk").values())


def test_manager_creates_a_plan_with_cancellation_overrides(as_manager, spa):
    response = as_manager.post("/api/v1/plans/", NEW_PLAN, format="json")

    assert response.status_code == 201, response.content
    assert response.json() == {
        "slug": "glow",
        "name": "Glow",
        "tier": "base",
        "advance_days": 14,
        "discount_percent": "12.50",
        "priority": False,
        "vip": False,
        "monthly_price": "79.00",
        "included_credits": 1,
        "benefits": ["Robe and slippers"],
        "birthday_benefit": "A free facial",
        "birthday_discount_percent": None,
        "free_cancellation_hours": 48,
        "late_cancellation_fee_percent": "25.00",
        "no_show_fee_percent": None,
        "is_active": True,
    }
    public = client_for().get("/api/v1/plans/").json()
    assert [plan["slug"] for plan in public] == ["glow", "base", "premium", "unlimited"]
    assert "free_cancellation_hours" not in public[0]


def test_manager_updates_a_plan_and_clears_an_override(as_manager, spa):
    MembershipPlan.objects.filter(slug="base").update(no_show_fee_percent=Decimal("80"))

    response = as_manager.patch(
        "/api/v1/plans/base/",
        {"monthly_price": "159.00", "advance_days": 45, "no_show_fee_percent": None},
        format="json",
    )

    assert response.status_code == 200, response.content
    base = MembershipPlan.objects.get(slug="base")
    assert (base.monthly_price, base.advance_days, base.no_show_fee_percent) == (
        Decimal("159.00"),
        45,
        None,
    )
    assert response.json()["discount_percent"] == "30.00"


def test_delete_deactivates_and_members_keep_their_plan(as_manager, spa, base_member, frozen_now):
    response = as_manager.delete("/api/v1/plans/base/")

    assert response.status_code == 204
    base = MembershipPlan.objects.get(slug="base")
    assert base.is_active is False
    assert Membership.objects.get(customer=base_member).plan == base
    public = [plan["slug"] for plan in client_for().get("/api/v1/plans/").json()]
    assert public == ["premium", "unlimited"]
    managed = as_manager.get("/api/v1/plans/", {"include_inactive": "true"}).json()
    assert [(plan["slug"], plan["is_active"]) for plan in managed] == [
        ("base", False),
        ("premium", True),
        ("unlimited", True),
    ]
    newcomer = client_for(make_customer("new@example.com"))
    refused = newcomer.post("/api/v1/memberships/", {"plan": "base"}, format="json")
    assert refused.status_code == 400 and "plan" in refused.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"slug": "base"}, "slug", '"base" is already used by another plan'),
        ({"tier": "gold"}, "tier", 'unknown tier "gold"'),
        ({"tier": "non_member"}, "tier", 'unknown tier "non_member"'),
        ({"discount_percent": "120"}, "discount_percent", "must be between 0 and 100"),
        ({"monthly_price": "-1.00"}, "monthly_price", "must be 0 or more"),
        ({"advance_days": -1}, "advance_days", "must be between 0 and 730"),
        ({"included_credits": -2}, "included_credits", "must be between 0 and 1000"),
        ({"no_show_fee_percent": "101"}, "no_show_fee_percent", "must be between 0 and 100"),
        ({"free_cancellation_hours": -1}, "free_cancellation_hours", "must be between 0"),
        ({"benefits": [""]}, "benefits", "This field may not be blank."),
        ({"monthly_price": "9.999"}, "monthly_price", "no more than 2 decimal places"),
        ({"status": "active"}, "status", "Unknown field."),
    ],
)
def test_bad_plan_input_is_400_naming_the_field(as_manager, spa, change, field, message):
    before = plan_rows()

    response = as_manager.post("/api/v1/plans/", {**NEW_PLAN, **change}, format="json")

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == [field]
    assert message in error["fields"][field]
    assert plan_rows() == before


def test_a_refused_plan_update_changes_nothing(as_manager, spa):
    before = plan_rows()

    response = as_manager.patch(
        "/api/v1/plans/base/", {"name": "Base+", "discount_percent": "-5"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["discount_percent"]
    assert plan_rows() == before


@pytest.mark.parametrize("role", ["customer", "technician", "front_desk"])
def test_other_roles_get_403_and_change_nothing(spa, role):
    user = make_customer(f"{role}@example.com")
    if role != "customer":
        set_role(user, role)
    api = client_for(user)
    before = plan_rows()

    responses = [
        api.post("/api/v1/plans/", NEW_PLAN, format="json"),
        api.patch("/api/v1/plans/base/", {"monthly_price": "0.00"}, format="json"),
        api.put("/api/v1/plans/base/", NEW_PLAN, format="json"),
        api.delete("/api/v1/plans/base/"),
    ]

    assert {(r.status_code, r.json()["error"]["code"]) for r in responses} == {(403, "forbidden")}
    assert plan_rows() == before


def test_anonymous_gets_401_and_changes_nothing(spa):
    api = client_for()
    before = plan_rows()

    responses = [
        api.post("/api/v1/plans/", NEW_PLAN, format="json"),
        api.patch("/api/v1/plans/base/", {"monthly_price": "0.00"}, format="json"),
        api.delete("/api/v1/plans/base/"),
    ]

    assert {(r.status_code, r.json()["error"]["code"]) for r in responses} == {
        (401, "unauthenticated")
    }
    assert plan_rows() == before
