"""Reads of conversations: who may open which (its owner, front desk and managers)."""

from django.db.models import QuerySet

from coresync.accounts.models import acts_for_every_customer
from coresync.assistant.models import Conversation


def conversations_visible_to(user) -> QuerySet[Conversation]:
    """Return the conversations ``user`` may read: managers and front desk all, a signed-in
    user their own, a guest none (a guest continues one by its id only through
    :func:`coresync.assistant.services.continue_conversation`)."""
    conversations = Conversation.objects.all()
    if user is None or not getattr(user, "is_authenticated", False):
        return conversations.none()
    if acts_for_every_customer(user):
        return conversations
    return conversations.filter(owner=user)
