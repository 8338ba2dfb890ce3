"""Payment endpoints: the caller's payments, saving a card on file, and the Stripe webhook."""

import json
import logging

import stripe
from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from coresync.core.api.exceptions import error_body
from coresync.payments.api.serializers import (
    PaymentSerializer,
    SetupIntentSerializer,
    WebhookAckSerializer,
)
from coresync.payments.models import Payment
from coresync.payments.services import create_setup_intent
from coresync.payments.webhooks import WebhookProcessingFailed, receive_stripe_event

logger = logging.getLogger(__name__)


def _is_event(event) -> bool:
    """Tell whether a verified body has the shape of a Stripe event (id, type, data.object)."""
    return (
        isinstance(event, dict)
        and isinstance(event.get("id"), str)
        and isinstance(event.get("type"), str)
        and isinstance(event.get("data"), dict)
        and isinstance(event["data"].get("object"), dict)
    )


class PaymentListView(generics.ListAPIView):
    """The caller's own payments and their refunds, newest first."""

    permission_classes = [IsAuthenticated]
    serializer_class = PaymentSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Payment.objects.none()
        return (
            Payment.objects.filter(customer=self.request.user)
            .select_related("booking")
            .prefetch_related("refunds")
        )


class SetupIntentView(APIView):
    """Start saving a card on file (used for no-show and late-cancellation fees and
    membership charges). 409 ``online_payments_disabled`` when the spa takes payment at the
    desk."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={201: SetupIntentSerializer})
    def post(self, request):
        setup = create_setup_intent(request.user)
        return Response(SetupIntentSerializer(setup).data, status=status.HTTP_201_CREATED)


class StripeWebhookView(APIView):
    """Stripe's events. The ``Stripe-Signature`` header is verified with the webhook secret
    (5-minute tolerance); each event is processed once, however often it is delivered."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        request={"application/json": OpenApiTypes.OBJECT},
        responses={200: WebhookAckSerializer},
        parameters=[
            OpenApiParameter(
                "Stripe-Signature",
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="Stripe's signature of the body: t=…,v1=…",
            )
        ],
    )
    def post(self, request):
        payload = request.body  # the raw bytes: the signature is over them
        signature = request.headers.get("Stripe-Signature", "")
        try:
            # The signature alone first: the SDK's construct_event assumes a JSON object and
            # raises AttributeError on a signed list or string (a 500).
            stripe.WebhookSignature.verify_header(
                payload.decode("utf-8"),
                signature,
                settings.STRIPE_WEBHOOK_SECRET,
                stripe.Webhook.DEFAULT_TOLERANCE,
            )
            event = json.loads(payload)
        except (ValueError, stripe.SignatureVerificationError) as error:
            logger.warning("Stripe webhook refused: %s", error)
            return Response(
                error_body("invalid_signature", "The Stripe signature could not be verified."),
                status=status.HTTP_400_BAD_REQUEST,
            )
        if not _is_event(event):
            return Response(
                error_body("invalid", "Not a Stripe event."), status=status.HTTP_400_BAD_REQUEST
            )
        try:
            outcome = receive_stripe_event(event)
        except WebhookProcessingFailed:
            # Logged with its traceback; Stripe retries a 5xx with backoff.
            return Response(
                error_body("webhook_processing_failed", "The event will be processed again."),
                status=status.HTTP_500_INTERNAL_SERVER_ERROR,
            )
        return Response({"received": True, "status": outcome})
