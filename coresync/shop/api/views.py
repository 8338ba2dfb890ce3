"""Shop endpoints: products for anyone, pickup orders for their customer and the desk
(ARCHITECTURE.md "Shop and concierge")."""

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from coresync.core.api.exceptions import reject_read_only
from coresync.core.api.idempotency import REPLAYED_HEADER, require_key
from coresync.payments.api.serializers import PaymentStartSerializer
from coresync.shop.api.serializers import OrderCreateSerializer, OrderSerializer, ProductSerializer
from coresync.shop.api.throttles import OrderCreateThrottle
from coresync.shop.models import Order, Product
from coresync.shop.selectors import orders_visible_to, products_on_offer
from coresync.shop.services import (
    OrderItem,
    cancel_order,
    complete_order,
    mark_order_ready,
    place_order,
    process_order,
    start_order_payment,
)

REFERENCE_PATTERN = r"PO-\d{4}-\d{6,}"
READ_ONLY_INPUT_FIELDS = {
    "status",
    "subtotal",
    "tax",
    "total",
    "unit_price",
    "customer",
    "reference",
    "paid_at",
}


class ProductViewSet(viewsets.ReadOnlyModelViewSet):
    """Products on offer, featured first (anyone)."""

    permission_classes = [AllowAny]
    serializer_class = ProductSerializer
    lookup_field = "slug"
    pagination_class = None

    def get_queryset(self) -> QuerySet[Product]:
        return products_on_offer()


class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A customer's pickup orders (front desk and managers: everyone's), by reference."""

    permission_classes = [IsAuthenticated]
    serializer_class = OrderSerializer
    lookup_field = "reference"
    lookup_value_regex = REFERENCE_PATTERN
    throttle_classes = [OrderCreateThrottle]

    def get_queryset(self) -> QuerySet[Order]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Order.objects.none()
        return orders_visible_to(self.request.user)

    def _answer(self, order: Order, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=order.pk)
        return Response(OrderSerializer(fresh).data, status=code)

    @extend_schema(
        request=OrderCreateSerializer,
        responses={201: OrderSerializer},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="A unique key per new order; a repeat gives the same order.",
            )
        ],
    )
    def create(self, request):
        """Order for pickup. Active members pay member prices; more than is left → 409
        ``out_of_stock`` naming the products, and nothing is taken."""
        key = require_key(request)
        reject_read_only(request.data, READ_ONLY_INPUT_FIELDS)
        payload = OrderCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        order = place_order(
            request.user,
            [OrderItem(item["product"], item["quantity"]) for item in data["items"]],
            pickup_booking=data.get("pickup_booking") or None,
            notes=data.get("notes", ""),
            idempotency_key=key,
        )
        response = self._answer(order, status.HTTP_201_CREATED)
        if order.was_replayed:
            response[REPLAYED_HEADER] = "true"
        return response

    def _transition(self, request, change) -> Response:
        order = self.get_object()
        return self._answer(change(order, actor=request.user))

    @extend_schema(request=None, responses=OrderSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, reference=None):
        """The customer (or the desk) cancels while pending or processing; stock goes back."""
        return self._transition(request, cancel_order)

    @extend_schema(request=None, responses=OrderSerializer)
    @action(detail=True, methods=["post"])
    def process(self, request, reference=None):
        """Desk: start preparing (pending → processing)."""
        return self._transition(request, process_order)

    @extend_schema(request=None, responses=OrderSerializer)
    @action(detail=True, methods=["post"])
    def ready(self, request, reference=None):
        """Desk: ready for pickup (processing → ready); the customer is emailed."""
        return self._transition(request, mark_order_ready)

    @extend_schema(request=None, responses=OrderSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, reference=None):
        """Desk: picked up (ready → completed)."""
        return self._transition(request, complete_order)

    @extend_schema(request=None, responses=PaymentStartSerializer)
    @action(detail=True, methods=["post"])
    def pay(self, request, reference=None):
        """The customer pays the order online instead of at pickup: with ``stripe``, confirm
        ``client_secret`` with the Payment Element (asking again gives the same intent); with
        ``onsite``, ``client_secret`` is null and the total is paid at pickup. A cancelled,
        picked-up or paid order → 422 ``invalid_transition``."""
        _, start = start_order_payment(self.get_object(), actor=request.user)
        return Response(PaymentStartSerializer(start).data)
