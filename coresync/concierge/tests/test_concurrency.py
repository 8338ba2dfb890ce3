"""Two staff members answering one request at the same moment, on PostgreSQL (row locks):
one wins, the other gets 422 ``invalid_transition``."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from rest_framework.test import APIClient

from conftest import FROZEN_NOW
from coresync.accounts.models import Role
from coresync.concierge.models import ConciergeRequest
from coresync.concierge.services import RequestDetails, submit_request
from factories import StaffFactory
from racing import run_together

pytestmark = [
    pytest.mark.postgresql,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
    pytest.mark.django_db(transaction=True),
]


def test_approve_and_decline_at_once_one_wins(premium_member, frozen_now):
    request = submit_request(
        premium_member,
        RequestDetails(
            category="flowers",
            title="Peonies",
            description="White",
            budget_min=Decimal("50"),
            budget_max=Decimal("90"),
            pickup_date=date(2026, 12, 10),
        ),
        now=FROZEN_NOW,
    )
    staff = [StaffFactory(role=Role.FRONT_DESK), StaffFactory(role=Role.MANAGER)]
    url = f"/api/v1/concierge/requests/{request.reference}"

    def answer(index: int):
        client = APIClient()
        client.force_authenticate(staff[index])
        if index == 0:
            return client.post(f"{url}/approve/")
        return client.post(f"{url}/decline/", {"reason": "Out of season"}, format="json")

    outcomes = run_together(2, answer)

    statuses = sorted(response.status_code for response in outcomes)
    assert statuses == [200, 422]
    loser = next(response for response in outcomes if response.status_code == 422)
    assert loser.json()["error"]["code"] == "invalid_transition"
    winner = next(response for response in outcomes if response.status_code == 200)
    assert ConciergeRequest.objects.get().status == winner.json()["status"]
