"""Concierge requests over the API (ARCHITECTURE.md "Shop and concierge"): who may ask, every
rule of a request, the staff's steps; every refusal changes nothing."""

from datetime import date

import pytest
import time_machine
from rest_framework.test import APIClient

from conftest import local, make_customer
from coresync.accounts.models import Role
from coresync.concierge.models import ConciergeRequest
from coresync.concierge.services import turns_21_on
from coresync.core.models import AuditEntry
from coresync.notifications.models import OutboxMessage
from factories import StaffFactory

pytestmark = pytest.mark.django_db

# The frozen "now" is Tuesday 2026-12-01 08:00 New York: the earliest pickup is 2026-12-04.
FLOWERS = {
    "category": "flowers",
    "title": "White peonies",
    "description": "A bouquet for my mother's birthday.",
    "budget_min": "80.00",
    "budget_max": "150.00",
    "pickup_date": "2026-12-04",
}


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def ask(user, **changes):
    return client_for(user).post(
        "/api/v1/concierge/requests/", {**FLOWERS, **changes}, format="json"
    )


@pytest.fixture
def desk(spa):
    return StaffFactory(role=Role.FRONT_DESK)


def test_a_premium_member_asks_and_gets_a_reference(premium_member, frozen_now):
    response = ask(premium_member)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reference"].startswith("CR-2026-")
    assert (body["status"], body["title"], body["budget_max"]) == (
        "pending",
        "White peonies",
        "150.00",
    )
    assert "staff_notes" not in body
    assert body["review_due_at"] == "2026-12-02T08:00:00-05:00"
    assert OutboxMessage.objects.filter(payload__kind="received").count() == 1


@pytest.mark.parametrize("who", ["customer", "base_member", "manager"])
def test_only_premium_and_vip_members_may_ask(request, who, frozen_now):
    user = request.getfixturevalue(who)

    response = ask(user)

    assert (response.status_code, response.json()["error"]["code"]) == (403, "forbidden")
    assert not ConciergeRequest.objects.exists()


def test_a_vip_member_may_ask(vip_member, frozen_now):
    assert ask(vip_member).status_code == 201


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"pickup_date": "2026-12-03"}, "pickup_date"),  # 2 days ahead
        ({"budget_min": "200.00"}, "budget_min"),  # above budget_max
        ({"budget_min": "-1"}, "budget_min"),
        ({"category": "cars"}, "category"),
        ({"title": ""}, "title"),
        ({"status": "approved"}, "status"),
    ],
)
def test_a_wrong_request_is_400_naming_the_field(premium_member, frozen_now, changes, field):
    response = ask(premium_member, **changes)

    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] in {"invalid", "read_only_field"}
    assert field in response.json()["error"]["fields"]
    assert not ConciergeRequest.objects.exists()


def test_three_days_ahead_is_the_earliest_pickup(premium_member, frozen_now):
    assert ask(premium_member, pickup_date="2026-12-04").status_code == 201


@pytest.mark.parametrize(
    ("birthday", "allowed"),
    [
        (None, False),
        (date(2005, 12, 4), True),  # 21 exactly on the pickup date
        (date(2005, 12, 5), False),  # 21 the day after
        (date(1980, 6, 1), True),
    ],
)
def test_alcohol_needs_a_birthday_making_the_member_21_on_the_pickup_date(
    premium_member, frozen_now, birthday, allowed
):
    premium_member.birthday = birthday
    premium_member.save(update_fields=["birthday"])

    response = ask(premium_member, category="alcohol", title="A Barolo")

    if allowed:
        assert response.status_code == 201, response.content
    else:
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "age_verification_required"
        assert not ConciergeRequest.objects.exists()


def test_a_29_february_birthday_turns_21_on_1_march_in_a_common_year():
    assert turns_21_on(date(2004, 2, 29)) == date(2025, 3, 1)
    assert turns_21_on(date(2003, 2, 28)) == date(2024, 2, 28)


def test_the_staff_take_a_request_from_approval_to_pickup(premium_member, desk, frozen_now):
    reference = ask(premium_member).json()["reference"]
    url = f"/api/v1/concierge/requests/{reference}"
    staff = client_for(desk)

    steps = [
        staff.post(f"{url}/approve/", {"staff_notes": "Call the florist on 5th"}, format="json"),
        staff.post(f"{url}/start/"),
        staff.post(f"{url}/ready/", {"actual_cost": "120.00"}, format="json"),
        staff.post(f"{url}/complete/"),
    ]

    assert [step.status_code for step in steps] == [200] * 4, steps[0].content
    assert [step.json()["status"] for step in steps] == [
        "approved",
        "processing",
        "ready",
        "completed",
    ]
    row = ConciergeRequest.objects.get()
    assert (row.actual_cost, row.staff_notes, row.handled_by) == (
        120,
        "Call the florist on 5th",
        desk,
    )
    kinds = set(OutboxMessage.objects.values_list("payload__kind", flat=True))
    assert kinds == {"received", "approved", "processing", "ready", "completed"}
    assert AuditEntry.objects.filter(action__startswith="concierge_request.").count() == 5


def test_a_cost_above_the_budget_is_refused(premium_member, desk, frozen_now):
    reference = ask(premium_member).json()["reference"]
    url = f"/api/v1/concierge/requests/{reference}"
    staff = client_for(desk)
    staff.post(f"{url}/approve/")
    staff.post(f"{url}/start/")

    response = staff.post(f"{url}/ready/", {"actual_cost": "150.01"}, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["actual_cost"]
    assert ConciergeRequest.objects.get().status == "processing"


def test_a_decline_needs_a_reason_the_member_reads(premium_member, desk, frozen_now):
    reference = ask(premium_member).json()["reference"]
    url = f"/api/v1/concierge/requests/{reference}"

    without = client_for(desk).post(f"{url}/decline/", {}, format="json")
    declined = client_for(desk).post(f"{url}/decline/", {"reason": "Sold out"}, format="json")
    seen = client_for(premium_member).get(f"{url}/").json()

    assert without.status_code == 400
    assert declined.json()["status"] == "declined"
    assert (seen["status"], seen["decline_reason"]) == ("declined", "Sold out")


def test_wrong_states_are_422_and_members_may_not_take_staff_steps(
    premium_member, desk, frozen_now
):
    reference = ask(premium_member).json()["reference"]
    url = f"/api/v1/concierge/requests/{reference}"

    early = client_for(desk).post(f"{url}/ready/")
    member_step = client_for(premium_member).post(f"{url}/approve/")

    assert (early.status_code, early.json()["error"]["code"]) == (422, "invalid_transition")
    assert (member_step.status_code, member_step.json()["error"]["code"]) == (403, "forbidden")
    assert ConciergeRequest.objects.get().status == "pending"


def test_the_member_cancels_while_pending_or_approved_only(premium_member, desk, frozen_now):
    member = client_for(premium_member)
    first = ask(premium_member).json()["reference"]
    second = ask(premium_member, title="Tulips").json()["reference"]
    for step in ("approve", "start"):
        client_for(desk).post(f"/api/v1/concierge/requests/{second}/{step}/")

    cancelled = member.post(f"/api/v1/concierge/requests/{first}/cancel/")
    too_late = member.post(f"/api/v1/concierge/requests/{second}/cancel/")

    assert cancelled.json()["status"] == "cancelled"
    assert (too_late.status_code, too_late.json()["error"]["code"]) == (422, "invalid_transition")


def test_members_see_their_own_requests_and_the_staff_all(
    premium_member, vip_member, desk, frozen_now
):
    mine = ask(premium_member).json()["reference"]
    ask(vip_member, title="Roses")

    own = client_for(premium_member).get("/api/v1/concierge/requests/").json()["results"]
    other = client_for(vip_member).get(f"/api/v1/concierge/requests/{mine}/")
    everyone = client_for(desk).get("/api/v1/concierge/requests/").json()["results"]

    assert [row["reference"] for row in own] == [mine]
    assert other.status_code == 404
    assert len(everyone) == 2
    assert {row["member"] for row in everyone} == {premium_member.email, vip_member.email}
    assert all(row["is_overdue"] is False for row in everyone)


def test_a_request_left_pending_for_a_day_shows_overdue_to_the_staff(
    premium_member, desk, frozen_now
):
    ask(premium_member)

    with time_machine.travel(local(2026, 12, 2, 8, 1), tick=False):
        rows = client_for(desk).get("/api/v1/concierge/requests/").json()["results"]

    assert [row["is_overdue"] for row in rows] == [True]


def test_an_ended_membership_may_no_longer_ask(spa, frozen_now):
    former = make_customer("former@example.com", spa.plans["premium"])
    former.memberships.update(ends_on=date(2026, 11, 30))

    assert ask(former).status_code == 403


def test_requests_past_their_review_target_are_reported_to_each_manager_once_a_day(
    premium_member, manager, frozen_now
):
    from django.core import mail

    from coresync.concierge.services import report_overdue_requests
    from coresync.notifications.jobs import dispatch_outbox

    reference = ask(premium_member).json()["reference"]
    mail.outbox.clear()

    with time_machine.travel(local(2026, 12, 2, 9), tick=False):
        first = report_overdue_requests()
        second = report_overdue_requests()  # the next hour: no second email today
        dispatch_outbox()

    assert (first, second) == (1, 1)
    [email] = [m for m in mail.outbox if m.to == [manager.email]]
    assert reference in email.body
    assert "waiting past 24 hours" in email.subject
