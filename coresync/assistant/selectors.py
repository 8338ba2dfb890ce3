"""Reads of conversations: who may open which (its owner, front desk and managers)."""

import uuid

from django.db.models import QuerySet

from coresync.accounts.models import acts_for_every_customer
from coresync.assistant.models import Conversation, Message


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


def transcript(conversation_id, user, session_key: str = "") -> list[Message]:
    """Return the messages of conversation ``conversation_id`` when ``user`` may continue
    it (the rule of :func:`coresync.assistant.services.find_conversation`: their own, or a
    guest's of this session or adopted on signing in), else an empty list."""
    try:
        key = uuid.UUID(str(conversation_id))
    except ValueError:
        return []
    conversation = Conversation.objects.filter(pk=key).first()
    if conversation is None:
        return []
    signed_in = bool(getattr(user, "is_authenticated", False))
    if conversation.owner_id is not None:
        if not signed_in or conversation.owner_id != user.pk:
            return []
    elif conversation.session_key != session_key and not signed_in:
        return []
    return list(conversation.messages.all())
