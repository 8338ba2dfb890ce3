"""Template filters of the guest site: money and percentages from ``Decimal``, a booking's
therapists and preferences."""

from decimal import Decimal

from django import template
from django.utils import timezone
from django.utils.formats import number_format

from coresync.accounts.preferences import labelled_preferences
from coresync.core.money import quantize
from coresync.spa.selectors import get_settings
from coresync.web.selectors import booking_technicians

register = template.Library()


class SpaTimezoneNode(template.Node):
    def __init__(self, nodelist):
        self.nodelist = nodelist

    def render(self, context) -> str:
        with timezone.override(get_settings().zone):
            return self.nodelist.render(context)


@register.tag
def spa_timezone(parser, token):
    """Render the enclosed block with times in the spa's zone (SPEC: spa-local wall clock):
    ``{% spa_timezone %}…{% endspa_timezone %}``."""
    nodelist = parser.parse(("endspa_timezone",))
    parser.delete_first_token()
    return SpaTimezoneNode(nodelist)


@register.filter
def money(amount) -> str:
    """Format an amount in dollars: ``Decimal("-60")`` → ``−$60.00``, thousands grouped."""
    if amount in (None, ""):
        return ""
    value = quantize(Decimal(str(amount)))
    text = "$" + number_format(abs(value), decimal_pos=2, use_l10n=True, force_grouping=True)
    return f"−{text}" if value < 0 else text


@register.filter
def percent(fraction) -> str:
    """Format a fraction as a percentage without trailing zeros: ``0.08875`` → ``8.875%``."""
    value = (Decimal(str(fraction)) * 100).normalize()
    return f"{value:f}%"


@register.filter
def therapists(booking) -> list[str]:
    """The names of the therapists serving ``booking`` (both for a couples booking)."""
    return [technician.name for technician in booking_technicians(booking)]


@register.filter
def preference_lines(preferences) -> list[tuple[str, str]]:
    """``(label, value label)`` for each spa preference set in ``preferences`` (a dict)."""
    return labelled_preferences(preferences)
