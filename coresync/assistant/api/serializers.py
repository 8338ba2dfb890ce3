from rest_framework import serializers


class MessageRequestSerializer(serializers.Serializer):
    """``text`` is checked by the service (1–2,000 characters), so that the API, the site
    and the phone refuse the same things."""

    text = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=100_000)
    conversation = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=64
    )


class MessageResponseSerializer(serializers.Serializer):
    conversation = serializers.UUIDField()
    reply = serializers.CharField()
    actions = serializers.ListField(
        child=serializers.DictField(),
        help_text=(
            "What the assistant looked up or did this turn, each with a type: slots, quote, "
            "proposal, booking_created, booking_cancelled, booking_rescheduled, "
            'sign_in_required, handoff (ARCHITECTURE.md "Assistant").'
        ),
    )


class TranscriptMessageSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=["user", "assistant"])
    text = serializers.CharField()
    actions = serializers.ListField(child=serializers.DictField())
    at = serializers.DateTimeField(source="created_at")


class ConversationSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    messages = TranscriptMessageSerializer(many=True, source="messages.all")
