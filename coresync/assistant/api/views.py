"""``POST assistant/messages/`` and ``GET assistant/conversations/{id}/``
(ARCHITECTURE.md "Assistant")."""

import uuid

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from coresync.assistant.api.serializers import (
    ConversationSerializer,
    MessageRequestSerializer,
    MessageResponseSerializer,
)
from coresync.assistant.api.throttles import AssistantAnonThrottle, AssistantUserThrottle
from coresync.assistant.errors import AssistantDisabled
from coresync.assistant.models import Channel
from coresync.assistant.selectors import conversations_visible_to
from coresync.assistant.services import handle_message
from coresync.core.errors import InvalidInput, NotFound


class MessageView(APIView):
    """Send the assistant a message; a guest (no sign-in) asks and sees prices and free
    times, never books."""

    permission_classes = [AllowAny]
    throttle_classes = [AssistantUserThrottle, AssistantAnonThrottle]

    @extend_schema(request=MessageRequestSerializer, responses=MessageResponseSerializer)
    def post(self, request):
        if not settings.ASSISTANT_ENABLED:
            raise AssistantDisabled()
        if not isinstance(request.data, dict):
            raise InvalidInput("Send a JSON object.", fields={"text": "Send text."})
        payload = MessageRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        session = getattr(request, "session", None)
        session_key = (session.session_key or "") if session is not None else ""
        answer = handle_message(
            user=request.user,
            text=payload.validated_data["text"],
            conversation_id=payload.validated_data.get("conversation") or None,
            channel=Channel.API,
            session_key=session_key,
        )
        return Response(
            {
                "conversation": str(answer.conversation.pk),
                "reply": answer.reply,
                "actions": answer.actions,
            }
        )


class ConversationView(APIView):
    """A transcript, for its owner and managers (front desk too)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ConversationSerializer)
    def get(self, request, conversation_id):
        try:
            key = uuid.UUID(conversation_id)
        except ValueError:
            raise NotFound("No such conversation.") from None
        conversation = (
            conversations_visible_to(request.user)
            .filter(pk=key)
            .prefetch_related("messages")
            .first()
        )
        if conversation is None:
            raise NotFound("No such conversation.")
        return Response(ConversationSerializer(conversation).data)
