"""Gift cards (sell, check a balance) and packages (list, buy, mine)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from coresync.core.errors import InvalidInput
from coresync.giftcards.api.serializers import (
    GiftCardBalanceSerializer,
    GiftCardCodeSerializer,
    GiftCardOrderSerializer,
    GiftCardSoldSerializer,
    PackageBoughtSerializer,
    PackagePurchaseSerializer,
    PackageSerializer,
)
from coresync.giftcards.models import GiftCard, Package, PackagePurchase, normalize_code
from coresync.payments.giftcards import buy_package, sell_gift_card


class GiftCardsView(APIView):
    """``POST gift-cards/``: buy a gift card for someone; it is emailed to them on
    ``deliver_on`` once paid."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=GiftCardOrderSerializer, responses={201: GiftCardSoldSerializer})
    def post(self, request):
        payload = GiftCardOrderSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        card, start = sell_gift_card(request.user, **payload.validated_data)
        card.payment_start = start
        return Response(GiftCardSoldSerializer(card).data, status=201)


class GiftCardBalanceView(APIView):
    """``POST gift-cards/balance/``: what is left on a card, by its code."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=GiftCardCodeSerializer, responses=GiftCardBalanceSerializer)
    def post(self, request):
        payload = GiftCardCodeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        card = GiftCard.objects.filter(code=normalize_code(payload.validated_data["code"])).first()
        if card is None:
            raise InvalidInput("No gift card has this code.", fields={"code": "Unknown code."})
        return Response(
            GiftCardBalanceSerializer(
                {
                    "code": card.masked_code,
                    "balance": card.balance,
                    "currency": card.currency,
                    "status": card.status,
                }
            ).data
        )


class PackagesView(APIView):
    """``GET packages/``: the packages on sale, cheapest first."""

    permission_classes = [AllowAny]

    @extend_schema(responses=PackageSerializer(many=True))
    def get(self, request):
        packages = Package.objects.filter(is_active=True).select_related("service")
        return Response(PackageSerializer(packages, many=True).data)


class BuyPackageView(APIView):
    """``POST packages/{slug}/buy/``: buy a package; its sessions are usable once paid."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={201: PackageBoughtSerializer})
    def post(self, request, slug: str):
        package = get_object_or_404(Package, slug=slug, is_active=True)
        purchase, start = buy_package(request.user, package)
        purchase.payment_start = start
        return Response(PackageBoughtSerializer(purchase).data, status=201)


class MyPackagesView(APIView):
    """``GET packages/mine/``: the caller's packages and the sessions left."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=PackagePurchaseSerializer(many=True))
    def get(self, request):
        purchases = PackagePurchase.objects.filter(customer=request.user).select_related(
            "package__service"
        )
        return Response(PackagePurchaseSerializer(purchases, many=True).data)
