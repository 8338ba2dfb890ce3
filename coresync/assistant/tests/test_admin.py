"""Managers read and search transcripts in the admin; nothing is edited there."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from coresync.accounts.models import Role
from coresync.accounts.services import set_role
from coresync.assistant.models import Conversation
from factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_a_manager_searches_and_reads_a_transcript(client, customer, frozen_now):
    manager = set_role(CustomerFactory(email="boss@example.com"), Role.MANAGER)
    api = APIClient()
    api.force_authenticate(customer)
    api.post("/api/v1/assistant/messages/", {"text": "When are you open?"}, format="json")
    conversation = Conversation.objects.get()
    client.force_login(manager)

    found = client.get(reverse("admin:assistant_conversation_changelist"), {"q": "open"})
    page = client.get(reverse("admin:assistant_conversation_change", args=[conversation.pk]))

    assert found.status_code == 200 and str(conversation.pk) in found.content.decode()
    assert page.status_code == 200
    assert "When are you open?" in page.content.decode()
    assert client.get(reverse("admin:assistant_conversation_add")).status_code == 403
