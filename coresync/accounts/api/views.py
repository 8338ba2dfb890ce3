"""Account endpoints: register, JWT tokens, logout, me."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from coresync.accounts.api.serializers import (
    MeSerializer,
    RegisteredSerializer,
    RegisterSerializer,
)
from coresync.accounts.services import register_customer
from coresync.core.clock import local_date, now
from coresync.memberships.selectors import get_customer_access
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
        serializer = MeSerializer(
            request.user, data=request.data, partial=True, context=_me_context(request)
        )
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(serializer.data)
