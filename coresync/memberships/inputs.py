"""The fields of a membership plan, with their rules, declared once: the spa file's plan
entries (``coresync.spafile.schema``) extend this model and the manager services
(``memberships.services``) read each field with it."""

from coresync.core.readers import (
    Boolean,
    Choice,
    Fields,
    Integer,
    ListOf,
    Money,
    Percent,
    Slug,
    Text,
)
from coresync.memberships.models import PLAN_TIERS


class PlanFields(Fields):
    """A plan: its tier's booking window (``advance_days``), discount and monthly price."""

    slug: Slug
    name: Text(100)
    tier: Choice(PLAN_TIERS, "tier")
    advance_days: Integer(0, 730)
    discount_percent: Percent(0, 100)
    priority: Boolean = False
    vip: Boolean = False
    monthly_price: Money
    included_credits: Integer(0, 1000) = 0
    benefits: ListOf(Text(200)) = []
    birthday_benefit: Text(200, blank=True) = ""
    active: Boolean = True
