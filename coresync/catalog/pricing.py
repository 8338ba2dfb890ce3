"""Quotes: the price of a booking, line by line, in ``Decimal`` (SPEC §1 and §4).

The order of lines, each rounded to cents half up:

1. ``base``: the non-member price of the service duration × guests.
2. ``tier_price`` or ``tier_discount``: an explicit tier price (× guests) replaces the base
   (the line is the difference), otherwise the plan's discount percent of the base. A VIP
   never pays more than a Premium member would (SPEC §1 "Unlimited/VIP at least Premium").
3. ``peak``: the peak-window percent of the service amount after the tier line, when the
   local start time falls in a peak window.
4. ``room``: the room's premium percent of the same service amount.
5. ``addon:<slug>``: each add-on's price × guests (add-ons are not discounted).
6. ``subtotal``; ``tax`` = subtotal × the spa's tax rate; ``total``.

A member's benefits are applied to a quote afterwards (:func:`with_member_benefits`, when the
booking is made): ``credit`` ("Included credit") brings the service — every line but the
add-ons — to 0.00; ``birthday`` takes the plan's birthday percent off it. Tax follows.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from coresync.catalog.models import AddOn, PeakPricingWindow, Service
from coresync.core.money import format_amount, percent_of, quantize
from coresync.memberships.models import Tier, TierPrice
from coresync.memberships.selectors import CustomerAccess


@dataclass(frozen=True)
class QuoteLine:
    """One line of a quote: a stable ``code``, a label for people and an amount (may be
    negative for discounts)."""

    code: str
    label: str
    amount: Decimal

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "label": self.label, "amount": format_amount(self.amount)}


@dataclass(frozen=True)
class Quote:
    """A priced booking: ``lines`` then ``subtotal``, ``tax`` and ``total`` (USD ``Decimal``)."""

    lines: tuple[QuoteLine, ...]
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    currency: str
    tax_rate: Decimal

    def as_dict(self) -> dict:
        """Return the API shape: money as strings with two decimals."""
        return {
            "currency": self.currency,
            "lines": [line.as_dict() for line in self.lines],
            "subtotal": format_amount(self.subtotal),
            "tax_rate": str(self.tax_rate),
            "tax": format_amount(self.tax),
            "total": format_amount(self.total),
        }

    def stored_lines(self) -> list[dict[str, str]]:
        """Return the line items as stored on a booking (incl. subtotal, tax and total)."""
        return [line.as_dict() for line in self.lines] + [
            {"code": "subtotal", "label": "Subtotal", "amount": format_amount(self.subtotal)},
            {"code": "tax", "label": "Tax", "amount": format_amount(self.tax)},
            {"code": "total", "label": "Total", "amount": format_amount(self.total)},
        ]


@dataclass
class PriceList:
    """Everything needed to price one service for one caller, loaded once (3 queries), then
    priced for any start and room without further queries (:meth:`quote`)."""

    service: Service
    minutes: int
    base_price: Decimal
    access: CustomerAccess
    addons: Sequence[AddOn]
    peak_windows: Sequence[PeakPricingWindow]
    tax_rate: Decimal
    currency: str
    tz: ZoneInfo
    tier_prices: dict[str, Decimal] = field(default_factory=dict)
    premium_discount_percent: Decimal | None = None
    _cache: dict = field(default_factory=dict, repr=False)
    _peak_cache: dict = field(default_factory=dict, repr=False)

    def quote(self, start: datetime, guests: int, room_modifier_percent: Decimal) -> Quote:
        """Price a booking starting at aware ``start`` for ``guests`` in a room whose premium
        is ``room_modifier_percent`` percent."""
        peak = self.peak_percent(start)
        key = (guests, peak, Decimal(room_modifier_percent))
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = self.price(guests, peak, Decimal(room_modifier_percent))
        return cached

    def peak_percent(self, start: datetime) -> Decimal:
        """Return the peak modifier percent that applies at ``start`` (0 if none); the
        highest when peak windows overlap. Cached per local weekday and time of day."""
        if not self.peak_windows:
            return Decimal("0")
        local = start.astimezone(self.tz)
        key = (local.weekday(), local.hour, local.minute)
        percent = self._peak_cache.get(key)
        if percent is None:
            wall = time(local.hour, local.minute)
            percent = max(
                (
                    window.modifier_percent
                    for window in self.peak_windows
                    if key[0] in window.days and window.start <= wall < window.end
                ),
                default=Decimal("0"),
            )
            self._peak_cache[key] = percent
        return percent

    def _tier_amount(self, guests: int) -> tuple[QuoteLine | None, Decimal]:
        base = quantize(self.base_price * guests)
        tier = self.access.tier
        if tier == Tier.NON_MEMBER:
            return None, base
        candidates: list[tuple[Decimal, QuoteLine]] = []
        explicit = self.tier_prices.get(tier)
        plan_name = self.access.plan.name if self.access.plan else tier
        if explicit is not None:
            amount = quantize(explicit * guests)
            candidates.append(
                (amount, QuoteLine("tier_price", f"{plan_name} member saving", amount - base))
            )
        else:
            discount = percent_of(base, self.access.discount_percent)
            label = f"{plan_name} discount ({self.access.discount_percent.normalize():f}%)"
            candidates.append((base - discount, QuoteLine("tier_discount", label, -discount)))
        if tier == Tier.VIP:
            premium = self.tier_prices.get(Tier.PREMIUM)
            if premium is not None:
                amount = quantize(premium * guests)
                candidates.append(
                    (amount, QuoteLine("tier_price", "Premium member saving", amount - base))
                )
            elif self.premium_discount_percent is not None:
                discount = percent_of(base, self.premium_discount_percent)
                label = f"Premium discount ({self.premium_discount_percent.normalize():f}%)"
                candidates.append((base - discount, QuoteLine("tier_discount", label, -discount)))
        amount, line = min(candidates, key=lambda candidate: candidate[0])
        return (line if line.amount else None), amount

    def price(self, guests: int, peak_percent: Decimal, room_percent: Decimal) -> Quote:
        """Price ``guests`` with explicit peak and room modifier percents."""
        peak = peak_percent
        lines: list[QuoteLine] = []
        base = quantize(self.base_price * guests)
        label = f"{self.service.name}, {self.minutes} min"
        if guests > 1:
            label += f" × {guests} guests"
        lines.append(QuoteLine("base", label, base))
        tier_line, service_amount = self._tier_amount(guests)
        if tier_line:
            lines.append(tier_line)
        if peak:
            lines.append(
                QuoteLine(
                    "peak", f"Peak time (+{peak.normalize():f}%)", percent_of(service_amount, peak)
                )
            )
        if room_percent:
            lines.append(
                QuoteLine(
                    "room",
                    f"Room premium (+{room_percent.normalize():f}%)",
                    percent_of(service_amount, room_percent),
                )
            )
        for addon in self.addons:
            lines.append(
                QuoteLine(f"addon:{addon.slug}", addon.name, quantize(addon.price * guests))
            )
        subtotal = quantize(sum((line.amount for line in lines), Decimal("0")))
        tax = quantize(subtotal * self.tax_rate)
        return Quote(
            lines=tuple(lines),
            subtotal=subtotal,
            tax=tax,
            total=subtotal + tax,
            currency=self.currency,
            tax_rate=self.tax_rate,
        )


def load_price_list(
    service: Service,
    minutes: int,
    addons: Sequence[AddOn],
    access: CustomerAccess,
    spa_settings,
) -> PriceList:
    """Load the prices of ``service`` at ``minutes`` for ``access`` (3 queries).

    Raises:
        coresync.core.errors.InvalidInput: the service has no such duration.
    """
    from coresync.core.errors import InvalidInput
    from coresync.memberships.models import MembershipPlan

    # ``all()``: the variants prefetched with the service (build_availability_request) are
    # reused; otherwise one query, as a filter would be.
    variants = sorted(service.variants.all(), key=lambda row: row.minutes)
    variant = next((row for row in variants if row.minutes == minutes), None)
    if variant is None:
        durations = ", ".join(str(row.minutes) for row in variants)
        raise InvalidInput(
            f'"{service.slug}" is not offered for {minutes} minutes (durations: {durations}).',
            fields={"duration": f"Choose one of: {durations}."},
        )
    tier_prices = {
        row.tier: row.price for row in TierPrice.objects.filter(service=service, minutes=minutes)
    }
    premium_discount = None
    if access.tier == Tier.VIP:
        premium_plan = (
            MembershipPlan.objects.filter(tier=Tier.PREMIUM, is_active=True)
            .order_by("-discount_percent")
            .first()
        )
        premium_discount = premium_plan.discount_percent if premium_plan else None
    return PriceList(
        service=service,
        minutes=minutes,
        base_price=variant.price,
        access=access,
        addons=list(addons),
        peak_windows=list(PeakPricingWindow.objects.all()),
        tax_rate=spa_settings.tax_rate,
        currency=spa_settings.currency,
        tz=spa_settings.zone,
        tier_prices=tier_prices,
        premium_discount_percent=premium_discount,
    )


def _service_amount(quote: Quote) -> Decimal:
    """The service part of a quote: every line except add-ons (base, tier, peak, room)."""
    return sum(
        (line.amount for line in quote.lines if not line.code.startswith("addon:")),
        Decimal("0"),
    )


def _requote(quote: Quote, extra: QuoteLine) -> Quote:
    lines = list(quote.lines)
    position = next(
        (index for index, line in enumerate(lines) if line.code.startswith("addon:")), len(lines)
    )
    lines.insert(position, extra)
    subtotal = quantize(sum((line.amount for line in lines), Decimal("0")))
    tax = quantize(subtotal * quote.tax_rate)
    return Quote(
        lines=tuple(lines),
        subtotal=subtotal,
        tax=tax,
        total=subtotal + tax,
        currency=quote.currency,
        tax_rate=quote.tax_rate,
    )


def with_member_benefits(
    quote: Quote,
    *,
    credit: bool = False,
    birthday_percent: Decimal | None = None,
    package: str = "",
) -> Quote:
    """Return ``quote`` with a member's benefits, placed before the add-ons:

    - ``credit``: the line ``Included credit`` bringing the service to 0.00 (add-ons are still
      charged, and taxed);
    - ``package`` (a package's name): the line ``Package session: <name>``, the same way;
    - ``birthday_percent`` (without either): ``Birthday gift (N%)``, that percent of the
      service, rounded half up.
    """
    service = _service_amount(quote)
    if credit and service > 0:
        return _requote(quote, QuoteLine("credit", "Included credit", -service))
    if package and service > 0:
        return _requote(quote, QuoteLine("package", f"Package session: {package}", -service))
    if birthday_percent and service > 0:
        label = f"Birthday gift ({Decimal(birthday_percent).normalize():f}%)"
        return _requote(quote, QuoteLine("birthday", label, -percent_of(service, birthday_percent)))
    return quote
