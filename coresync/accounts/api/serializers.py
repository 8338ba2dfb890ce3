"""Account serializers. Writable fields are listed explicitly; role and staff flags never are."""

from rest_framework import serializers

from coresync.accounts.models import User


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
