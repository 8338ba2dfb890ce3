"""A person's data across the apps (SPEC §11): the export holds their orders and concierge
requests; erasure clears their words but keeps the amounts for the books."""

from datetime import date
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from coresync.assistant.models import Conversation
from coresync.concierge.models import ConciergeRequest
from coresync.concierge.services import RequestDetails, submit_request
from coresync.privacy.selectors import export_personal_data
from coresync.privacy.services import delete_account
from coresync.shop.models import Order, Product
from coresync.shop.services import OrderItem, place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(premium_member, frozen_now):
    Product.objects.create(
        slug="candle", name="Candle", category="accessories", price=Decimal("20.00"), stock=3
    )
    order = place_order(premium_member, [OrderItem("candle", 2)], notes="Gift wrap please")
    request = submit_request(
        premium_member,
        RequestDetails(
            category="flowers",
            title="Peonies for Anna",
            description="Her birthday",
            budget_min=Decimal("50"),
            budget_max=Decimal("90"),
            pickup_date=date(2026, 12, 10),
        ),
    )
    return order, request


def test_the_export_holds_orders_concierge_requests_and_transcripts(premium_member, history):
    client = APIClient()
    client.force_authenticate(premium_member)
    client.post("/api/v1/assistant/messages/", {"text": "What are your hours?"}, format="json")

    data = export_personal_data(premium_member)

    assert [
        (o["reference"], o["notes"], o["items"][0]["quantity"]) for o in data["shop_orders"]
    ] == [(history[0].reference, "Gift wrap please", 2)]
    assert [r["title"] for r in data["concierge_requests"]] == ["Peonies for Anna"]
    [conversation] = data["assistant_conversations"]
    assert conversation["messages"][0] == {
        **conversation["messages"][0],
        "role": "user",
        "text": "What are your hours?",
    }


def test_erasure_clears_their_words_and_keeps_the_amounts(premium_member, history):
    client = APIClient()
    client.force_authenticate(premium_member)
    client.post("/api/v1/assistant/messages/", {"text": "What are your hours?"}, format="json")

    delete_account(premium_member)

    order = Order.objects.get()
    request = ConciergeRequest.objects.get()
    assert (order.notes, order.total) == ("", history[0].total)
    assert (request.title, request.description) == ("(erased)", "")
    assert request.budget_max == Decimal("90.00")
    assert not Conversation.objects.exists()
