"""Account endpoints: register, JWT tokens, logout, me."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from coresync.accounts.api.serializers import (
    DeleteAccountSerializer,
    LogoutSerializer,
    MeSerializer,
    PasswordChangeSerializer,
    PasswordResetConfirmSerializer,
    PasswordResetSerializer,
    RegisteredSerializer,
    RegisterSerializer,
)
from coresync.accounts.services import (
    change_password,
    register_customer,
    reset_password,
    revoke_sign_ins,
)
from coresync.core.api.exceptions import reject_read_only
from coresync.core.clock import local_date, now
from coresync.core.errors import InvalidInput
from coresync.memberships.selectors import get_customer_access
from coresync.notifications.account_mail import request_password_reset
from coresync.privacy.selectors import export_personal_data
from coresync.privacy.services import delete_account
from coresync.spa.selectors import get_settings


class RegisterView(APIView):
    """Create a customer account and sign it in (returns a JWT pair)."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(request=RegisterSerializer, responses={201: RegisteredSerializer})
    def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = register_customer(**serializer.validated_data)
        refresh = RefreshToken.for_user(user)
        body = {
            "email": user.email,
            "name": user.name,
            "tokens": {"access": str(refresh.access_token), "refresh": str(refresh)},
        }
        return Response(body, status=status.HTTP_201_CREATED)


class TokenView(TokenObtainPairView):
    """Exchange email + password for an access/refresh JWT pair (10/min per IP)."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"


class TokenRefreshThrottledView(TokenRefreshView):
    """Exchange a refresh token for a new pair; the old refresh token is blacklisted."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"


def _me_context(request) -> dict:
    spa_settings = get_settings()
    today = local_date(now(), spa_settings.zone)
    return {"access": get_customer_access(request.user, today, spa_settings)}


class MeView(APIView):
    """The signed-in user's profile, tier and preferences."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user, context=_me_context(request)).data)

    @extend_schema(request=MeSerializer, responses=MeSerializer)
    def patch(self, request):
        reject_read_only(request.data, set(MeSerializer.Meta.read_only_fields) | {"is_staff"})
        serializer = MeSerializer(
            request.user, data=request.data, partial=True, context=_me_context(request)
        )
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(serializer.data)

    @extend_schema(request=DeleteAccountSerializer, responses={204: None})
    def delete(self, request):
        """Delete (anonymize) the account; the current password confirms it."""
        payload = DeleteAccountSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        if not request.user.check_password(payload.validated_data["password"]):
            raise InvalidInput("The password is not right.", fields={"password": "Wrong password."})
        delete_account(request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeExportView(APIView):
    """Everything CoreSync holds on the signed-in user, as JSON."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: dict})
    def get(self, request):
        response = Response(export_personal_data(request.user))
        response["Content-Disposition"] = 'attachment; filename="coresync-my-data.json"'
        return response


class LogoutView(APIView):
    """Blacklist a refresh token so it can no longer be used."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(request=LogoutSerializer, responses={204: None})
    def post(self, request):
        payload = LogoutSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            RefreshToken(payload.validated_data["refresh"]).blacklist()
        except TokenError as error:
            raise InvalidInput(
                "The refresh token is invalid or expired.", fields={"refresh": str(error)}
            ) from error
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutEverywhereView(APIView):
    """Sign out everywhere: every refresh token of the caller is blacklisted and every
    browser session ended (a lost phone, a shared computer)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        revoke_sign_ins(request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordChangeView(APIView):
    """Change the caller's password; every other sign-in is revoked."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(request=PasswordChangeSerializer, responses={204: None})
    def post(self, request):
        payload = PasswordChangeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        change_password(request.user, **payload.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetView(APIView):
    """Email a reset link; answers 202 whether or not the account exists."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(request=PasswordResetSerializer, responses={202: None})
    def post(self, request):
        payload = PasswordResetSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        request_password_reset(payload.validated_data["email"])
        return Response(status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(APIView):
    """Set a new password with the uid and token from the emailed link."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(request=PasswordResetConfirmSerializer, responses={204: None})
    def post(self, request):
        payload = PasswordResetConfirmSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        reset_password(**payload.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)
