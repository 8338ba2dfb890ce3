"""Booking serializers. Input serializers list exactly what a caller may send; price,
status, customer, tier, reference and fees are output only (refused on input)."""

from rest_framework import serializers

from coresync.accounts.models import Role
from coresync.bookings.models import Booking
from coresync.bookings.policy import can_cancel, can_reschedule
from coresync.core.api.fields import AwareDateTimeField, SlugListField
from coresync.core.money import format_amount
from coresync.scheduling.api.serializers import PriceSerializer

READ_ONLY_INPUT_FIELDS = {
    "price",
    "total",
    "subtotal",
    "tax",
    "price_lines",
    "status",
    "customer",
    "tier",
    "customer_tier",
    "reference",
    "waive_fee",
    "fee_waived",
    "cancellation_fee",
}
"""Fields a booking payload may never set (ARCHITECTURE.md: 400 ``read_only_field``)."""

PREFERENCE_KEYS = {
    "pressure",
    "temperature",
    "room_temperature",
    "music",
    "aromatherapy",
    "scene",
    "lighting_scene",
    "allergies",
    "focus_areas",
}


def validate_preferences(value):
    """Preferences: an object of known keys with short scalar values."""
    if not isinstance(value, dict):
        raise serializers.ValidationError('Give an object, e.g. {"pressure": "firm"}.')
    unknown = sorted(set(value) - PREFERENCE_KEYS)
    if unknown:
        known = ", ".join(sorted(PREFERENCE_KEYS))
        raise serializers.ValidationError(
            f"Unknown preference(s): {', '.join(unknown)}; use {known}."
        )
    for key, item in value.items():
        if not isinstance(item, str | int | float | bool) or len(str(item)) > 200:
            raise serializers.ValidationError(f"{key}: a short text or number.")
    return value


class BookingCreateSerializer(serializers.Serializer):
    """``POST bookings/``: ``start`` must carry a UTC offset; technician/room optional (any)."""

    service = serializers.SlugField()
    start = AwareDateTimeField()
    duration = serializers.IntegerField(required=False, min_value=1, max_value=24 * 60)
    technician = serializers.SlugField(required=False, allow_null=True, allow_blank=True)
    room = serializers.SlugField(required=False, allow_null=True, allow_blank=True)
    addons = SlugListField(required=False, default=list)
    guests = serializers.IntegerField(required=False, default=1, min_value=1, max_value=20)
    preferences = serializers.JSONField(
        required=False, default=dict, validators=[validate_preferences]
    )
    notes = serializers.CharField(required=False, default="", allow_blank=True, max_length=2000)
    guest_name = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=150,
        help_text="Who the booking is for when it is not you (a gift, a companion). Without "
        "it, a booking overlapping another of yours is refused with 409 customer_busy.",
    )
    gift_card = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=40,
        help_text="A gift card code: it pays what it can of the total (gift_card_amount in "
        "the answer); its balance keeps the rest.",
    )


class QuoteRequestSerializer(serializers.Serializer):
    """``POST quotes/``: without ``start`` no peak or room modifier applies."""

    service = serializers.SlugField()
    start = AwareDateTimeField(required=False, allow_null=True)
    duration = serializers.IntegerField(required=False, min_value=1, max_value=24 * 60)
    room = serializers.SlugField(required=False, allow_null=True, allow_blank=True)
    addons = SlugListField(required=False, default=list)
    guests = serializers.IntegerField(required=False, default=1, min_value=1, max_value=20)


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, default="", allow_blank=True, max_length=200)
    waive_fee = serializers.BooleanField(required=False, default=False)


class RescheduleSerializer(serializers.Serializer):
    """``technician`` omitted (or null/empty) keeps the booked technician(s); ``"any"`` lets
    the engine choose; a slug picks another."""

    start = AwareDateTimeField()
    technician = serializers.SlugField(
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text='Omit to keep the booked technician(s); "any" lets the spa choose; a '
        "technician's slug picks that one.",
    )


def first_name(name: str) -> str:
    """Return the first word of ``name`` (what a technician may see of a guest)."""
    return (name or "").split(" ")[0]


class BookingSerializer(serializers.ModelSerializer):
    """A booking as its customer, its technician or a manager sees it."""

    service = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    duration = serializers.IntegerField(source="duration_minutes", read_only=True)
    technician = serializers.SerializerMethodField()
    technicians = serializers.SerializerMethodField()
    room = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    addons = serializers.SerializerMethodField()
    price = serializers.SerializerMethodField()
    cancellation_fee = serializers.SerializerMethodField()
    can_cancel = serializers.SerializerMethodField()
    can_reschedule = serializers.SerializerMethodField()
    customer = serializers.SerializerMethodField()

    class Meta:
        model = Booking
        fields = [
            "reference",
            "status",
            "service",
            "duration",
            "start",
            "end",
            "technician",
            "technicians",
            "room",
            "guests",
            "addons",
            "preferences",
            "notes",
            "guest_name",
            "tier",
            "price",
            "gift_card_amount",
            "cancellation_fee",
            "fee_waived",
            "can_cancel",
            "can_reschedule",
            "hold_expires_at",
            "customer",
            "created_at",
        ]
        read_only_fields = fields

    def _now(self):
        return self.context["now"]

    def get_technician(self, booking: Booking) -> str | None:
        return booking.technician.slug if booking.technician_id else None

    def get_technicians(self, booking: Booking) -> list[str]:
        return sorted(
            allocation.technician.slug
            for allocation in booking.allocations.all()
            if allocation.technician_id and allocation.is_active
        ) or ([booking.technician.slug] if booking.technician_id else [])

    def get_addons(self, booking: Booking) -> list[str]:
        return [item.addon.slug for item in booking.booking_addons.all()]

    def get_price(self, booking: Booking) -> dict:
        summary = {line["code"]: line["amount"] for line in booking.price_lines}
        return {
            "currency": booking.currency,
            "lines": [
                line
                for line in booking.price_lines
                if line["code"] not in ("subtotal", "tax", "total")
            ],
            "subtotal": summary.get("subtotal", format_amount(booking.subtotal)),
            "tax": summary.get("tax", format_amount(booking.tax)),
            "total": format_amount(booking.total),
        }

    def get_cancellation_fee(self, booking: Booking) -> str | None:
        return (
            format_amount(booking.cancellation_fee)
            if booking.cancellation_fee is not None
            else None
        )

    def get_can_cancel(self, booking: Booking) -> bool:
        return can_cancel(booking, self._now())

    def get_can_reschedule(self, booking: Booking) -> bool:
        return can_reschedule(booking, self._now())

    def _seen_by_its_technician(self, booking: Booking) -> bool:
        """Whether the viewer is a technician looking at someone else's booking: they see
        the guest's first name, preferences and notes, never the email, phone or surname
        (ARCHITECTURE.md "HTTP API")."""
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return bool(
            user is not None
            and getattr(user, "role", None) == Role.TECHNICIAN
            and not getattr(user, "is_superuser", False)
            and user.pk != booking.customer_id
        )

    def get_customer(self, booking: Booking) -> dict | None:
        if booking.customer_id is None:
            return None
        if self._seen_by_its_technician(booking):
            return {"name": first_name(booking.customer.name)}
        return {"email": booking.customer.email, "name": booking.customer.name}

    def to_representation(self, booking: Booking) -> dict:
        data = super().to_representation(booking)
        if data.get("guest_name") and self._seen_by_its_technician(booking):
            data["guest_name"] = first_name(data["guest_name"])
        return data


class QuoteSerializer(PriceSerializer):
    """The price breakdown of ``POST quotes/``."""
