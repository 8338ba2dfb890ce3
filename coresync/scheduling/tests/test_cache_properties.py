"""Property test of the availability cache (hypothesis): cached listings equal fresh ones.

Each example warms the cache with listings for every tier and a few services, then runs a
random sequence of changes — bookings (confirmed or awaiting payment), cancellations,
technician exceptions, room maintenance and their deletion, slot holds, price edits (a
duration's price, a tier price, a peak window) and the clock moving on (minimum notice,
payment holds and slot holds running out, the priority period moving) — and after each
change compares listings served through the cache (:func:`list_availability` and
:func:`get_availability`) with :func:`compute_availability`, which reads the database fresh.
"""

from contextlib import contextmanager
from datetime import date, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.cache import cache
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FROZEN_NOW, make_customer
from coresync.bookings.models import Booking, BookingStatus
from coresync.bookings.services import cancel_booking, create_booking
from coresync.catalog.models import PeakPricingWindow, ServiceVariant
from coresync.core.clock import now as clock_now
from coresync.core.errors import DomainError
from coresync.memberships.models import TierPrice
from coresync.memberships.selectors import get_customer_access
from coresync.resources.models import AvailabilityException, SlotHold
from coresync.resources.services import (
    add_room_maintenance,
    add_technician_exception,
    delete_exception,
)
from coresync.scheduling.api.views import _render_slot
from coresync.scheduling.selectors import (
    build_availability_request,
    compute_availability,
    get_availability,
    list_availability,
    offer_rows,
)
from coresync.spa.selectors import get_settings

pytestmark = pytest.mark.django_db

TODAY = FROZEN_NOW.date()  # Tuesday 2026-12-01
TIERS = ["guest", "base", "premium", "vip"]
SERVICES = ["swedish", "couples", "steam"]
HALF_HOURS = st.integers(min_value=16, max_value=40)  # 08:00 .. 20:00 local
DAYS = st.integers(min_value=0, max_value=6)

operations = st.one_of(
    st.tuples(
        st.just("book"),
        st.sampled_from(TIERS),
        st.sampled_from(SERVICES),
        DAYS,
        st.integers(0, 200),
        st.booleans(),
    ),
    st.tuples(st.just("cancel"), st.integers(0, 50)),
    st.tuples(
        st.just("exception"),
        st.sampled_from(["ana", "ben"]),
        DAYS,
        st.one_of(st.none(), st.tuples(HALF_HOURS, st.integers(1, 8))),
    ),
    st.tuples(
        st.just("maintenance"),
        st.sampled_from(["suite", "couples_suite", "steam_room"]),
        DAYS,
        st.one_of(st.none(), st.tuples(HALF_HOURS, st.integers(1, 8))),
    ),
    st.tuples(st.just("delete_exception"), st.integers(0, 20)),
    st.tuples(
        st.just("hold"),
        st.sampled_from(["priority", "vip"]),
        st.sampled_from([None, "ana", "suite"]),
        DAYS,
        HALF_HOURS,
        st.sampled_from([10, 90, 60 * 24 * 3]),
    ),
    st.tuples(st.just("price"), st.sampled_from(SERVICES), st.integers(3000, 30000)),
    st.tuples(
        st.just("tier_price"), st.sampled_from(["base", "premium", "vip"]), st.integers(1000, 20000)
    ),
    st.tuples(st.just("peak"), st.integers(0, 6), HALF_HOURS, st.integers(5, 50)),
    st.tuples(st.just("tick"), st.sampled_from([1, 14, 16, 45, 60 * 5, 60 * 24])),
)


class World:
    """The spa of ``conftest.spa`` with a customer of each tier, and helpers to act on it."""

    def __init__(self, spa) -> None:
        self.spa = spa
        self.customers = {
            "guest": make_customer("cache-guest@example.com"),
            "base": make_customer("cache-base@example.com", spa.plans["base"]),
            "premium": make_customer("cache-premium@example.com", spa.plans["premium"]),
            "vip": make_customer("cache-vip@example.com", spa.plans["vip"]),
        }

    def access(self, tier: str):
        user = None if tier == "guest" else self.customers[tier]
        now = clock_now()
        spa_settings = get_settings()
        return get_customer_access(user, now.astimezone(spa_settings.zone).date(), spa_settings)

    def assert_cached_equals_fresh(self, tier: str, service: str, first: date, days: int) -> None:
        now = clock_now()
        access = self.access(tier)
        request = build_availability_request(
            service_slug=service, date_from=first, date_to=first + timedelta(days=days - 1)
        )
        fresh = compute_availability(request, access, now=now)
        listed = list_availability(
            service_slug=service,
            date_from=request.date_from,
            date_to=request.date_to,
            access=access,
            now=now,
        )
        fresh_rows = offer_rows(fresh, get_settings().zone)
        assert listed.rows == fresh_rows, _first_difference(listed.rows, fresh_rows)
        rendered = list_availability(
            service_slug=service,
            date_from=request.date_from,
            date_to=request.date_to,
            access=access,
            now=now,
            render_slot=_render_slot,
        ).rendered
        assert rendered == [_render_slot(row) for row in fresh_rows]
        assert get_availability(request, access, now=now) == fresh, (tier, service, first, days)

    def apply(self, operation: tuple, traveller) -> None:
        kind, *arguments = operation
        spa = self.spa
        now = clock_now()
        try:
            with transaction.atomic():
                if kind == "book":
                    tier, service, day, index, awaiting_payment = arguments
                    request = build_availability_request(
                        service_slug=service,
                        date_from=TODAY + timedelta(days=day),
                        date_to=TODAY + timedelta(days=day),
                    )
                    offers = compute_availability(request, self.access(tier), now=now)
                    if offers:
                        create_booking(
                            customer=self.customers[tier],
                            service=service,
                            start=offers[index % len(offers)].slot.start,
                            now=now,
                            awaiting_payment=awaiting_payment,
                        )
                elif kind == "cancel":
                    bookings = list(
                        Booking.objects.filter(
                            status__in=[BookingStatus.CONFIRMED, BookingStatus.PENDING]
                        ).order_by("pk")
                    )
                    if bookings:
                        booking = bookings[arguments[0] % len(bookings)]
                        cancel_booking(booking, actor=booking.customer, now=now)
                elif kind in ("exception", "maintenance"):
                    owner, day, part = arguments
                    values = {"date": (TODAY + timedelta(days=day)).isoformat()}
                    if kind == "exception":
                        values["kind"] = "day_off"
                    if part is not None:
                        start, length = part
                        values["start"] = f"{start // 2:02d}:{start % 2 * 30:02d}"
                        end = min(start + length, 47)
                        values["end"] = f"{end // 2:02d}:{end % 2 * 30:02d}"
                    if kind == "exception":
                        add_technician_exception(getattr(spa, owner), values)
                    else:
                        add_room_maintenance(getattr(spa, owner), values)
                elif kind == "delete_exception":
                    rows = list(AvailabilityException.objects.order_by("pk"))
                    if rows:
                        delete_exception(rows[arguments[0] % len(rows)])
                elif kind == "hold":
                    level, owner, day, start, held_minutes = arguments
                    starts_at = FROZEN_NOW.replace(hour=0) + timedelta(days=day, minutes=start * 30)
                    SlotHold.objects.create(
                        level=level,
                        technician=spa.ana if owner == "ana" else None,
                        room=spa.suite if owner == "suite" else None,
                        starts_at=starts_at,
                        ends_at=starts_at + timedelta(hours=2),
                        held_until=now + timedelta(minutes=held_minutes),
                    )
                elif kind == "price":
                    service, cents = arguments
                    variant = ServiceVariant.objects.filter(service__slug=service).first()
                    variant.price = Decimal(cents) / 100
                    variant.save()
                elif kind == "tier_price":
                    plan, cents = arguments
                    tier = spa.plans[plan].tier
                    TierPrice.objects.update_or_create(
                        service=spa.swedish,
                        tier=tier,
                        minutes=60,
                        defaults={"price": Decimal(cents) / 100},
                    )
                elif kind == "peak":
                    weekday, start, percent = arguments
                    PeakPricingWindow.objects.create(
                        days=[weekday],
                        start=time(start // 2, start % 2 * 30),
                        end=time(min(start // 2 + 3, 23), 0),
                        modifier_percent=Decimal(percent),
                    )
                elif kind == "tick":
                    traveller.shift(timedelta(minutes=arguments[0]))
        except DomainError:
            pass  # a refused change changes nothing; the listings must still agree


def _first_difference(cached: list, fresh: list) -> str:
    for index, (one, other) in enumerate(zip(cached, fresh, strict=False)):
        if one != other:
            return f"at {index}: cached {one} != fresh {other}"
    return f"{len(cached)} cached, {len(fresh)} fresh"


@contextmanager
def rolled_back_example():
    """Run one example in a transaction that is rolled back, like each test's own: flagged as
    the test case's (the cache serves callers outside transactions of their own only), and
    followed by clearing the cache, as between tests (a rollback bumps nothing)."""
    atomic = transaction.atomic()
    atomic._from_testcase = True
    try:
        with atomic:
            yield
            transaction.set_rollback(True)
    finally:
        cache.clear()


@pytest.fixture
def world(spa):
    spa.zone = get_settings().zone
    return World(spa)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    changes=st.lists(operations, min_size=1, max_size=8),
    checks=st.lists(
        st.tuples(st.sampled_from(TIERS), st.sampled_from(SERVICES), DAYS, st.sampled_from([1, 7])),
        min_size=1,
        max_size=3,
    ),
)
def test_cached_listings_equal_fresh_ones_after_any_changes(world, changes, checks):
    with rolled_back_example(), time_machine.travel(FROZEN_NOW, tick=False) as traveller:
        # Every tier's week of every service is cached before anything changes.
        for tier in TIERS:
            for service in SERVICES:
                world.assert_cached_equals_fresh(tier, service, TODAY, 7)
        for operation in changes:
            world.apply(operation, traveller)
            for tier, service, day, days in checks:
                world.assert_cached_equals_fresh(tier, service, TODAY + timedelta(days=day), days)
            world.assert_cached_equals_fresh("guest", "swedish", TODAY, 7)
            world.assert_cached_equals_fresh("vip", "couples", TODAY, 7)
