"""One turn of a conversation, for every channel (API, site chat, phone), and the purge of
old transcripts (SPEC §9, §12 "transcripts purged after 30 days")."""

import time as perf
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from coresync.accounts.models import User
from coresync.accounts.validation import normalize_phone
from coresync.assistant.engine import OfflineEngine, Turn
from coresync.assistant.errors import AssistantDisabled
from coresync.assistant.models import Channel, Conversation, Message, Role
from coresync.assistant.tools import ToolContext
from coresync.core.clock import now as clock_now
from coresync.core.errors import InvalidInput, NotFound
from coresync.spa.selectors import get_settings

MAX_TEXT_LENGTH = 2000


class Engine(Protocol):
    """What answers a turn: :class:`~coresync.assistant.engine.OfflineEngine` or an LLM
    engine of :mod:`coresync.assistant.llm`, all acting through the same tools."""

    def respond(self, context: ToolContext, text: str) -> Turn: ...


def get_engine() -> Engine:
    """Return the engine ``ASSISTANT_ENGINE`` names: ``offline`` (the default, no network),
    ``openai`` (OpenAI-compatible chat completions) or ``anthropic`` (Anthropic messages)."""
    if settings.ASSISTANT_ENGINE == "openai":
        from coresync.assistant.llm.openai_engine import OpenAIEngine

        return OpenAIEngine.from_settings()
    if settings.ASSISTANT_ENGINE == "anthropic":
        from coresync.assistant.llm.anthropic_engine import AnthropicEngine

        return AnthropicEngine.from_settings()
    return OfflineEngine()


@dataclass(frozen=True)
class Answer:
    """What a channel shows after a turn: the conversation, the reply and its actions."""

    conversation: Conversation
    reply: str
    actions: list[dict]


def clean_text(text) -> str:
    """Return the message text, stripped.

    Raises:
        InvalidInput: not a string, empty, or over 2,000 characters (ARCHITECTURE.md
            "Assistant").
    """
    if not isinstance(text, str):
        raise InvalidInput("text must be a string.", fields={"text": "Send text."})
    text = text.strip()
    if not text or len(text) > MAX_TEXT_LENGTH or "\x00" in text:
        raise InvalidInput(
            "text must be 1 to 2,000 characters.",
            fields={"text": "Write 1 to 2,000 characters."},
        )
    return text


def find_conversation(conversation_id, user, session_key: str = "") -> Conversation:
    """Return the conversation ``conversation_id`` that ``user`` may continue: their own;
    a guest's conversation (no owner) by its id — a signed-in user adopts it, which keeps a
    guest's conversation across signing in — but never someone else's.

    Raises:
        NotFound: unknown id, or another person's conversation.
    """
    try:
        key = uuid.UUID(str(conversation_id))
    except ValueError:
        raise NotFound("No such conversation.") from None
    conversation = Conversation.objects.filter(pk=key).first()
    if conversation is None:
        raise NotFound("No such conversation.")
    signed_in = getattr(user, "is_authenticated", False)
    if conversation.owner_id is not None:
        if not signed_in or conversation.owner_id != user.pk:
            raise NotFound("No such conversation.")
    elif conversation.session_key and conversation.session_key != session_key and not signed_in:
        raise NotFound("No such conversation.")
    return conversation


def handle_message(
    *,
    user,
    text,
    conversation_id=None,
    channel: str = Channel.API,
    session_key: str = "",
    now: datetime | None = None,
) -> Answer:
    """Answer one message of ``user`` (a user or ``AnonymousUser``) and store the turn.

    Steps: 1. refuse when switched off or the input is bad (nothing stored); 2. find or
    start the conversation; 3. forget a state older than ``ASSISTANT_CONTEXT_MINUTES``;
    4. let the engine answer (tools record their calls; a write happens only on a yes to
    the proposal of the previous turn); 5. store both messages, the state and the latency.

    Raises:
        AssistantDisabled (503), InvalidInput (400), NotFound (404).
    """
    started = perf.perf_counter()
    if not settings.ASSISTANT_ENABLED:
        raise AssistantDisabled()
    text = clean_text(text)
    now = now or clock_now()
    signed_in = getattr(user, "is_authenticated", False)
    if conversation_id:
        conversation = find_conversation(conversation_id, user, session_key)
        if now - conversation.last_activity_at > timedelta(
            minutes=settings.ASSISTANT_CONTEXT_MINUTES
        ):
            conversation.state = {}
    else:
        conversation = Conversation.objects.create(
            owner=user if signed_in else None,
            # A site session key changes on signing in (the owner then identifies the
            # conversation); a call's key stays for the whole call, whoever the caller is.
            session_key=session_key if channel == Channel.PHONE or not signed_in else "",
            channel=channel,
            started_at=now,
            last_activity_at=now,
        )
    if signed_in and conversation.owner_id is None:
        conversation.owner = user
    context = ToolContext(
        user=user, now=now, spa_settings=get_settings(), conversation=conversation
    )
    turn: Turn = get_engine().respond(context, text)
    latency_ms = int((perf.perf_counter() - started) * 1000)
    with transaction.atomic():
        Message.objects.create(conversation=conversation, role=Role.USER, text=text, created_at=now)
        Message.objects.create(
            conversation=conversation,
            role=Role.ASSISTANT,
            text=turn.reply,
            actions=turn.actions,
            latency_ms=latency_ms,
            created_at=now,
        )
        conversation.last_activity_at = now
        conversation.save(update_fields=["owner", "state", "last_activity_at"])
    return Answer(conversation=conversation, reply=turn.reply, actions=turn.actions)


def caller_for(phone_number: str):
    """Return the active account whose phone number (E.164, as :func:`coresync.accounts.
    validation.normalize_phone` stores it) is ``phone_number``, or ``AnonymousUser`` — a
    guest — when none or more than one account has it, or the number is withheld."""
    try:
        number = normalize_phone(phone_number or "")
    except InvalidInput:
        return AnonymousUser()
    if not number:
        return AnonymousUser()
    accounts = list(User.objects.filter(phone=number, is_active=True)[:2])
    return accounts[0] if len(accounts) == 1 else AnonymousUser()


def handle_call_turn(
    *, call_id: str, caller_number: str, text, now: datetime | None = None
) -> Answer:
    """Answer one spoken message of phone call ``call_id`` (the voice provider's id) from
    ``caller_number``: the caller is matched by the phone number on their account
    (:func:`caller_for`), else a guest; every turn of the call continues one conversation.

    Raises:
        AssistantDisabled, InvalidInput: as :func:`handle_message` (nothing stored).
    """
    key = f"call:{call_id}"[:64]
    existing = (
        Conversation.objects.filter(channel=Channel.PHONE, session_key=key)
        .values_list("pk", flat=True)
        .first()
    )
    return handle_message(
        user=caller_for(caller_number),
        text=text,
        conversation_id=existing,
        channel=Channel.PHONE,
        session_key=key,
        now=now,
    )


def purge_conversations(now: datetime | None = None) -> int:
    """Delete conversations whose last activity is older than ``ASSISTANT_RETENTION_DAYS``
    (with their messages, tool calls and proposals); return how many were deleted."""
    now = now or clock_now()
    cutoff = now - timedelta(days=settings.ASSISTANT_RETENTION_DAYS)
    _deleted, per_model = Conversation.objects.filter(last_activity_at__lt=cutoff).delete()
    return per_model.get("assistant.Conversation", 0)
