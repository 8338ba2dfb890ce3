"""Shared pytest fixtures: a small spa, people of every tier, and a frozen clock.

The spa (America/New_York): two massage technicians working 09:00-17:00 every day, a men's
suite (capacity 1), a couples suite (private, capacity 2) and a steam room (shared,
capacity 4) open 09:00-21:00; Swedish massage 60/90 min (buffer 15 after), a couples massage,
a self-guided steam session; the three plans of SPEC §3.
"""

from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache

from coresync.accounts.models import Role, User
from coresync.catalog.models import AddOn, Service, ServiceCategory, ServiceVariant
from coresync.memberships.models import MembershipPlan
from coresync.resources.models import Room, Technician, WorkingHours
from coresync.spa.models import SpaSettings
from factories import CustomerFactory, StaffFactory

NEW_YORK = ZoneInfo("America/New_York")
# Tuesday 2026-12-01 08:00 in New York.
FROZEN_NOW = datetime(2026, 12, 1, 8, 0, tzinfo=NEW_YORK)


def local(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, fold: int = 0
) -> datetime:
    """Return an aware New York wall-clock datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=NEW_YORK, fold=fold)


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _availability_cache_on(settings):
    """Serve listings through the availability cache in every test (the suite runs in one
    process, so the local-memory cache is exact): each test that lists, books and lists
    again checks that the cache follows every change. Tests of the fresh path turn it off."""
    settings.AVAILABILITY_CACHE = True


@pytest.fixture
def frozen_now():
    """Freeze the clock at Tuesday 2026-12-01 08:00 New York time; yields the instant."""
    with time_machine.travel(FROZEN_NOW, tick=False):
        yield FROZEN_NOW


def add_hours(resource, start: str, end: str, weekdays=range(7), **validity) -> None:
    """Give a technician or room the same window on each of ``weekdays``."""
    field = "technician" if isinstance(resource, Technician) else "room"
    for weekday in weekdays:
        WorkingHours.objects.create(
            **{field: resource},
            weekday=weekday,
            start=time.fromisoformat(start),
            end=time.fromisoformat(end),
            **validity,
        )


@pytest.fixture
def spa(db):
    """Build the small spa described in this module's docstring; return a namespace."""
    SpaSettings.objects.create(pk=1)
    massage = ServiceCategory.objects.create(slug="massage", name="Massage")
    thermal = ServiceCategory.objects.create(slug="thermal", name="Thermal", position=1)
    swedish = Service.objects.create(
        slug="swedish",
        name="Swedish Massage",
        category=massage,
        skill="massage",
        room_types=["mensuite", "private"],
        buffer_after=15,
    )
    ServiceVariant.objects.create(service=swedish, minutes=60, price=Decimal("100.00"))
    ServiceVariant.objects.create(service=swedish, minutes=90, price=Decimal("140.00"))
    couples = Service.objects.create(
        slug="couples",
        name="Couples Massage",
        category=massage,
        skill="massage",
        room_types=["private"],
        buffer_after=15,
        max_guests=2,
    )
    ServiceVariant.objects.create(service=couples, minutes=60, price=Decimal("150.00"))
    steam = Service.objects.create(
        slug="steam",
        name="Steam Room",
        category=thermal,
        self_guided=True,
        room_types=["shared"],
        max_guests=4,
    )
    ServiceVariant.objects.create(service=steam, minutes=30, price=Decimal("40.00"))
    hot_stones = AddOn.objects.create(
        slug="hot-stones", name="Hot Stones", price=Decimal("35.00"), extra_minutes=15
    )
    hot_stones.services.add(swedish, couples)
    cbd = AddOn.objects.create(slug="cbd-oil", name="CBD Oil", price=Decimal("25.00"))
    cbd.services.add(swedish)

    suite = Room.objects.create(slug="suite-a", name="Suite A", room_type="mensuite", capacity=1)
    couples_suite = Room.objects.create(
        slug="couples-suite",
        name="Couples Suite",
        room_type="private",
        capacity=2,
        premium_modifier_percent=Decimal("10"),
    )
    steam_room = Room.objects.create(
        slug="steam", name="Steam Room", room_type="shared", capacity=4
    )
    for room in (suite, couples_suite, steam_room):
        add_hours(room, "09:00", "21:00")

    ana = Technician.objects.create(slug="ana", name="Ana", skills=["massage"])
    ben = Technician.objects.create(slug="ben", name="Ben", skills=["massage"])
    for technician in (ana, ben):
        add_hours(technician, "09:00", "17:00")

    plans = {
        "base": MembershipPlan.objects.create(
            slug="base",
            name="Base",
            tier="base",
            advance_days=30,
            discount_percent=Decimal("30"),
            monthly_price=Decimal("149.00"),
        ),
        "premium": MembershipPlan.objects.create(
            slug="premium",
            name="Premium",
            tier="premium",
            advance_days=60,
            discount_percent=Decimal("40"),
            priority=True,
            monthly_price=Decimal("249.00"),
        ),
        "vip": MembershipPlan.objects.create(
            slug="unlimited",
            name="Unlimited",
            tier="vip",
            advance_days=90,
            discount_percent=Decimal("40"),
            priority=True,
            vip=True,
            monthly_price=Decimal("599.00"),
            included_credits=4,
        ),
    }

    class Spa:
        pass

    namespace = Spa()
    namespace.__dict__.update(
        swedish=swedish,
        couples=couples,
        steam=steam,
        hot_stones=hot_stones,
        cbd=cbd,
        suite=suite,
        couples_suite=couples_suite,
        steam_room=steam_room,
        ana=ana,
        ben=ben,
        plans=plans,
    )
    return namespace


def make_customer(email: str, plan: MembershipPlan | None = None) -> User:
    """Create a customer, a member of ``plan`` since 2026-01-01 when given
    (:class:`factories.CustomerFactory`)."""
    return CustomerFactory(email=email, plan=plan)


@pytest.fixture
def customer(spa):
    """A customer without a membership (non-member)."""
    return make_customer("guest@example.com")


@pytest.fixture
def base_member(spa):
    return make_customer("base@example.com", spa.plans["base"])


@pytest.fixture
def premium_member(spa):
    return make_customer("premium@example.com", spa.plans["premium"])


@pytest.fixture
def vip_member(spa):
    return make_customer("vip@example.com", spa.plans["vip"])


@pytest.fixture
def manager(db):
    return StaffFactory(email="manager@example.com", name="Mina", role=Role.MANAGER)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Hash test passwords with MD5: PBKDF2's deliberate slowness is not under test here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def _openapi_schema():
    """The committed OpenAPI document (docs/api/openapi.yaml), loaded once."""
    import schemathesis

    return schemathesis.openapi.from_path(str(Path(__file__).parent / "docs/api/openapi.yaml"))


@pytest.fixture(autouse=True)
def _api_responses_match_the_schema(monkeypatch, _openapi_schema):
    """Check every ``/api/v1/`` answer a test receives against the committed OpenAPI schema,
    so that a response the schema does not describe (a null where it promises a string, a
    missing field) fails the test that produced it, not only the live fuzzing."""
    import httpx
    from rest_framework.test import APIClient

    original = APIClient.request

    def request(self, **request):
        response = original(self, **request)
        path = request.get("PATH_INFO", "")
        if path.startswith("/api/v1/") and response.get("Content-Type") == "application/json":
            operation = _openapi_schema.find_operation_by_path(request["REQUEST_METHOD"], path)
            if operation is not None:
                copy = httpx.Response(
                    response.status_code,
                    headers={"Content-Type": "application/json"},
                    content=response.content,
                    request=httpx.Request(request["REQUEST_METHOD"], f"http://testserver{path}"),
                )
                copy.read()
                copy.elapsed = timedelta(0)
                operation.validate_response(copy)
        return response

    monkeypatch.setattr(APIClient, "request", request)
