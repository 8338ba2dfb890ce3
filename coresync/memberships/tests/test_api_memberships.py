"""Memberships over the API: subscribe, see, change, cancel (offline payment)."""

from datetime import date

import pytest
import time_machine
from rest_framework.test import APIClient

from conftest import local
from coresync.core.errors import Forbidden
from coresync.memberships.models import Membership
from coresync.memberships.services import activate_membership, add_month
from coresync.notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(customer):
    client = APIClient()
    client.force_authenticate(customer)
    return client


def test_a_membership_gives_benefits_only_once_paid(api, spa, customer, manager, frozen_now):
    assert api.get("/api/v1/memberships/me/").status_code == 404
    created = api.post("/api/v1/memberships/", {"plan": "base"}, format="json")
    assert created.status_code == 201
    assert (created.json()["plan"]["slug"], created.json()["status"]) == ("base", "pending")
    assert api.get("/api/v1/me/").json()["tier"] == "non_member"  # not paid yet
    assert api.get("/api/v1/memberships/me/").json()["status"] == "pending"
    assert not OutboxMessage.objects.exists()  # no welcome before payment
    twice = api.post("/api/v1/memberships/", {"plan": "premium"}, format="json")
    assert twice.status_code == 422
    with pytest.raises(Forbidden):
        activate_membership(Membership.objects.get(), actor=customer)
    assert api.get("/api/v1/me/").json()["tier"] == "non_member"

    activate_membership(Membership.objects.get(), actor=manager)  # paid at the desk

    assert api.get("/api/v1/me/").json()["tier"] == "base"
    mine = api.get("/api/v1/memberships/me/").json()
    assert (mine["status"], mine["current_period_end"]) == ("active", "2027-01-01")
    assert OutboxMessage.objects.count() == 1  # the welcome email


def test_an_upgrade_waits_for_payment_a_downgrade_for_the_period_end(api, spa, manager, frozen_now):
    api.post("/api/v1/memberships/", {"plan": "premium"}, format="json")
    activate_membership(Membership.objects.get(), actor=manager)
    upgrade = api.post("/api/v1/memberships/me/change/", {"plan": "unlimited"}, format="json")
    assert upgrade.status_code == 200
    assert (upgrade.json()["plan"]["slug"], upgrade.json()["pending_plan"]["slug"]) == (
        "premium",
        "unlimited",
    )
    assert api.get("/api/v1/me/").json()["tier"] == "premium"
    activate_membership(Membership.objects.get(), actor=manager)
    assert api.get("/api/v1/me/").json()["tier"] == "vip"
    downgrade = api.post("/api/v1/memberships/me/change/", {"plan": "base"}, format="json")
    assert (
        downgrade.json()["plan"]["slug"],
        downgrade.json()["pending_plan"],
        downgrade.json()["next_plan"]["slug"],
    ) == ("unlimited", None, "base")
    assert api.get("/api/v1/me/").json()["tier"] == "vip"  # paid until the period ends


def test_cancel_keeps_benefits_to_the_period_end_and_ends_a_pending_one_now(
    api, spa, manager, frozen_now
):
    api.post("/api/v1/memberships/", {"plan": "premium"}, format="json")
    activate_membership(Membership.objects.get(), actor=manager)
    cancelled = api.post("/api/v1/memberships/me/cancel/")
    assert cancelled.json()["ends_on"] == "2027-01-01"
    assert api.get("/api/v1/me/").json()["tier"] == "premium"  # paid until then
    with time_machine.travel(local(2027, 1, 2, 9), tick=False):
        assert api.get("/api/v1/me/").json()["tier"] == "non_member"


def test_a_pending_membership_cancelled_ends_at_once(api, spa, frozen_now):
    api.post("/api/v1/memberships/", {"plan": "base"}, format="json")
    cancelled = api.post("/api/v1/memberships/me/cancel/")
    assert cancelled.json()["status"] == "cancelled"
    assert api.get("/api/v1/memberships/me/").status_code == 404
    again = api.post("/api/v1/memberships/", {"plan": "premium"}, format="json")
    assert again.status_code == 201


def test_subscribe_refuses_unknown_plan_and_status(api, spa, frozen_now):
    unknown = api.post("/api/v1/memberships/", {"plan": "gold"}, format="json")
    assert unknown.status_code == 400 and "plan" in unknown.json()["error"]["fields"]
    forced = api.post("/api/v1/memberships/", {"plan": "base", "status": "active"}, format="json")
    assert forced.json()["error"]["code"] == "read_only_field"


def test_add_month_clamps_to_month_length():
    assert add_month(date(2027, 1, 31)) == date(2027, 2, 28)
    assert add_month(date(2026, 12, 15)) == date(2027, 1, 15)
