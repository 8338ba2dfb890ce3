"""Reads of gift cards and packages for the site and the API."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet

from coresync.core.money import quantize
from coresync.giftcards.models import GiftCardStatus, Package, PackagePurchase


@dataclass(frozen=True)
class PackageOffer:
    """A package on sale with what it saves: ``per_session`` (Decimal dollars, rounded half
    up) against ``regular_price``, the non-member price of one session of that service and
    duration (``None`` if the service no longer has it)."""

    package: Package
    per_session: Decimal
    regular_price: Decimal | None

    @property
    def saving(self) -> Decimal:
        """The whole package's saving against paying each session at the regular price (0
        when there is none)."""
        if self.regular_price is None:
            return Decimal("0.00")
        return max(Decimal("0.00"), self.regular_price * self.package.sessions - self.package.price)


def packages_on_sale() -> list[PackageOffer]:
    """The active packages, cheapest first, each with its per-session price and the regular
    price it is compared with. Two queries (the services' durations are prefetched)."""
    packages = Package.objects.filter(is_active=True).select_related("service")
    offers = []
    for package in packages.prefetch_related("service__variants"):
        regular = {variant.minutes: variant.price for variant in package.service.variants.all()}
        offers.append(
            PackageOffer(
                package=package,
                per_session=quantize(package.price / package.sessions),
                regular_price=regular.get(package.minutes),
            )
        )
    return offers


def customer_packages(user) -> QuerySet[PackagePurchase]:
    """The customer's paid packages (with sessions left or used up), newest first."""
    return PackagePurchase.objects.filter(
        customer=user, status=GiftCardStatus.ACTIVE
    ).select_related("package__service")
