"""Money helpers: ``Decimal`` only, ROUND_HALF_UP to cents (ARCHITECTURE.md "Money")."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal("100")


def quantize(amount: Decimal | int | str) -> Decimal:
    """Round an amount to cents, half up: ``quantize(Decimal("1.005")) == Decimal("1.01")``."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def percent_of(amount: Decimal, percent: Decimal | int | str) -> Decimal:
    """Return ``percent`` % of ``amount``, rounded to cents half up."""
    return quantize(Decimal(amount) * Decimal(percent) / HUNDRED)


def to_minor_units(amount: Decimal) -> int:
    """Convert a USD amount to integer cents (Stripe's ``amount``), after rounding."""
    return int(quantize(amount) * 100)


def format_amount(amount: Decimal) -> str:
    """Format money for the API: a string with two decimals, e.g. ``"105.00"``."""
    return f"{quantize(amount):.2f}"
