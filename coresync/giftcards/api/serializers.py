"""Gift card and package serializers (money as strings with two decimals)."""

from rest_framework import serializers

from coresync.core.api.manage import StrictFieldsMixin
from coresync.giftcards.models import GiftCard, Package, PackagePurchase
from coresync.payments.api.serializers import PaymentStartSerializer


class GiftCardOrderSerializer(StrictFieldsMixin, serializers.Serializer):
    """``POST gift-cards/``: what to sell (the code goes to the recipient only)."""

    amount = serializers.DecimalField(max_digits=10, decimal_places=2)
    recipient_email = serializers.EmailField()
    recipient_name = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=150
    )
    sender_name = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=150
    )
    message = serializers.CharField(required=False, default="", allow_blank=True, max_length=1000)
    deliver_on = serializers.DateField(
        required=False, allow_null=True, help_text="Spa-local day to email it; today if empty."
    )


class GiftCardSerializer(serializers.ModelSerializer):
    """A gift card as its buyer sees it: never its code."""

    id = serializers.UUIDField(source="uuid", read_only=True)
    code = serializers.CharField(source="masked_code", read_only=True)

    class Meta:
        model = GiftCard
        fields = [
            "id",
            "code",
            "amount",
            "balance",
            "currency",
            "status",
            "recipient_email",
            "recipient_name",
            "deliver_on",
            "delivered_at",
        ]
        read_only_fields = fields


class GiftCardSoldSerializer(GiftCardSerializer):
    """The card sold, plus how to pay it (Stripe: confirm ``payment.client_secret``)."""

    payment = serializers.SerializerMethodField()

    class Meta(GiftCardSerializer.Meta):
        fields = [*GiftCardSerializer.Meta.fields, "payment"]
        read_only_fields = fields

    def get_payment(self, card) -> PaymentStartSerializer:
        return PaymentStartSerializer(card.payment_start).data


class GiftCardCodeSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40)


class GiftCardBalanceSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Masked: the last four characters.")
    balance = serializers.DecimalField(max_digits=10, decimal_places=2)
    currency = serializers.CharField()
    status = serializers.CharField()


class PackageSerializer(serializers.ModelSerializer):
    service = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Package
        fields = ["slug", "name", "service", "minutes", "sessions", "price", "valid_days"]
        read_only_fields = fields


class PackagePurchaseSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    package = PackageSerializer(read_only=True)

    class Meta:
        model = PackagePurchase
        fields = ["id", "package", "sessions_total", "sessions_left", "status", "expires_on"]
        read_only_fields = fields


class PackageBoughtSerializer(PackagePurchaseSerializer):
    payment = serializers.SerializerMethodField()

    class Meta(PackagePurchaseSerializer.Meta):
        fields = [*PackagePurchaseSerializer.Meta.fields, "payment"]
        read_only_fields = fields

    def get_payment(self, purchase) -> PaymentStartSerializer:
        return PaymentStartSerializer(purchase.payment_start).data
