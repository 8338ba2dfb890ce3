"""Account serializers. Writable fields are listed explicitly; role and staff flags never are."""

from datetime import date
from typing import Any

from rest_framework import serializers

from coresync.accounts import preferences as vocabulary
from coresync.accounts.models import User
from coresync.accounts.validation import check_birthday, normalize_phone
from coresync.core.clock import local_date, now
from coresync.core.errors import InvalidInput
from coresync.spa.selectors import get_settings


def _field_error(error: InvalidInput, field: str) -> serializers.ValidationError:
    return serializers.ValidationError(error.fields.get(field) or error.message)


class RegisterSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=128, write_only=True)
    name = serializers.CharField(max_length=150)


class MembershipSummarySerializer(serializers.Serializer):
    plan = serializers.CharField(source="plan.slug")
    plan_name = serializers.CharField(source="plan.name")
    tier = serializers.CharField(source="plan.tier")
    status = serializers.CharField()
    started_on = serializers.DateField()
    ends_on = serializers.DateField(allow_null=True)
    credits_used = serializers.IntegerField()


class MeSerializer(serializers.ModelSerializer):
    """The signed-in user. ``tier`` is derived from a current membership."""

    tier = serializers.SerializerMethodField()
    membership = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "email",
            "name",
            "phone",
            "birthday",
            "emergency_contact",
            "marketing_consent",
            "role",
            "tier",
            "membership",
            "preferences",
            "notification_preferences",
            "date_joined",
        ]
        read_only_fields = ["email", "role", "tier", "membership", "date_joined"]

    def get_tier(self, user: User) -> str:
        return self.context["access"].tier

    def validate_phone(self, value: str) -> str:
        try:
            return normalize_phone(value)
        except InvalidInput as error:
            raise _field_error(error, "phone") from error

    def validate_birthday(self, value: date | None) -> date | None:
        try:
            return check_birthday(value, local_date(now(), get_settings().zone))
        except InvalidInput as error:
            raise _field_error(error, "birthday") from error

    def validate_preferences(self, value: Any) -> dict[str, str]:
        try:
            return vocabulary.validate_preferences(value)
        except InvalidInput as error:
            raise _field_error(error, "preferences") from error

    def validate_notification_preferences(self, value: Any) -> dict[str, bool]:
        try:
            changes = vocabulary.validate_notification_preferences(value)
        except InvalidInput as error:
            raise _field_error(error, "notification_preferences") from error
        # A PATCH names only the switches it changes; the others keep their value.
        current = getattr(self.instance, "notification_preferences", None)
        return {**vocabulary.stored_notification_preferences(current), **changes}

    def get_membership(self, user: User) -> dict | None:
        membership = self.context["access"].membership
        return MembershipSummarySerializer(membership).data if membership else None


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class RegisteredSerializer(serializers.Serializer):
    email = serializers.EmailField()
    name = serializers.CharField()
    tokens = TokenPairSerializer()


class LogoutSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class PasswordResetSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)


class PasswordResetConfirmSerializer(serializers.Serializer):
    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=128)
    new_password = serializers.CharField(max_length=128, write_only=True)


class DeleteAccountSerializer(serializers.Serializer):
    password = serializers.CharField(max_length=128, write_only=True)


class PasswordChangeSerializer(serializers.Serializer):
    current_password = serializers.CharField(max_length=128, write_only=True)
    new_password = serializers.CharField(max_length=128, write_only=True)
