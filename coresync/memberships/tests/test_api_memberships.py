"""Memberships over the API: subscribe, see, change, cancel (offline payment)."""

from datetime import date

import pytest
from rest_framework.test import APIClient

from coresync.memberships.services import add_month

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(customer):
    client = APIClient()
    client.force_authenticate(customer)
    return client


def test_subscribe_change_cancel(api, spa, frozen_now):
    assert api.get("/api/v1/memberships/me/").status_code == 404
    created = api.post("/api/v1/memberships/", {"plan": "base"}, format="json")
    assert created.status_code == 201
    assert created.json()["plan"]["slug"] == "base"
    assert created.json()["current_period_end"] == "2027-01-01"
    twice = api.post("/api/v1/memberships/", {"plan": "premium"}, format="json")
    assert twice.status_code == 422
    changed = api.post("/api/v1/memberships/me/change/", {"plan": "premium"}, format="json")
    assert changed.json()["plan"]["tier"] == "premium"
    assert api.get("/api/v1/me/").json()["tier"] == "premium"
    cancelled = api.post("/api/v1/memberships/me/cancel/")
    assert cancelled.json()["ends_on"] == "2027-01-01"
    assert api.get("/api/v1/me/").json()["tier"] == "premium"  # benefits last the period


def test_subscribe_refuses_unknown_plan_and_status(api, spa, frozen_now):
    unknown = api.post("/api/v1/memberships/", {"plan": "gold"}, format="json")
    assert unknown.status_code == 400 and "plan" in unknown.json()["error"]["fields"]
    forced = api.post("/api/v1/memberships/", {"plan": "base", "status": "active"}, format="json")
    assert forced.json()["error"]["code"] == "read_only_field"


def test_add_month_clamps_to_month_length():
    assert add_month(date(2027, 1, 31)) == date(2027, 2, 28)
    assert add_month(date(2026, 12, 15)) == date(2027, 1, 15)
