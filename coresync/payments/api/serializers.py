"""Payment serializers: output only (money as strings with two decimals)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from coresync.bookings.api.serializers import BookingSerializer
from coresync.payments.models import Payment, Refund


class PaymentStartSerializer(serializers.Serializer):
    """How to pay for a new booking: with ``stripe``, confirm ``client_secret`` with Stripe
    Elements on the page; with ``onsite``, ``client_secret`` is null and ``amount`` is due at
    the spa."""

    provider = serializers.CharField()
    client_secret = serializers.CharField(allow_null=True)
    amount = serializers.DecimalField(max_digits=10, decimal_places=2)
    currency = serializers.CharField()


class BookingCreatedSerializer(BookingSerializer):
    """``POST bookings/``: the booking, plus how to pay for it."""

    payment = serializers.SerializerMethodField()

    class Meta(BookingSerializer.Meta):
        fields = [*BookingSerializer.Meta.fields, "payment"]
        read_only_fields = fields

    @extend_schema_field(PaymentStartSerializer(allow_null=True))
    def get_payment(self, booking) -> dict | None:
        start = getattr(booking, "payment_start", None)
        return PaymentStartSerializer(start).data if start is not None else None


class RefundSerializer(serializers.ModelSerializer):
    class Meta:
        model = Refund
        fields = ["amount", "currency", "status", "reason", "created_at"]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    """A payment as its customer sees it."""

    id = serializers.UUIDField(source="uuid", read_only=True)
    booking = serializers.SlugRelatedField(
        slug_field="reference",
        read_only=True,
        allow_null=True,
        help_text="The booking paid for; null for a membership, gift card or package.",
    )
    refunds = RefundSerializer(many=True, read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "kind",
            "status",
            "amount",
            "amount_refunded",
            "currency",
            "provider",
            "booking",
            "description",
            "failure_message",
            "refunds",
            "succeeded_at",
            "created_at",
        ]
        read_only_fields = fields


class SetupIntentSerializer(serializers.Serializer):
    """Save a card on file: confirm ``client_secret`` with Stripe Elements
    (``stripe.confirmSetup``) using ``publishable_key``."""

    provider = serializers.CharField()
    client_secret = serializers.CharField()
    publishable_key = serializers.CharField()


class WebhookAckSerializer(serializers.Serializer):
    received = serializers.BooleanField()
    status = serializers.ChoiceField(choices=["processed", "ignored", "duplicate"])
