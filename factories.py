"""Test factories (factory_boy): people, memberships and bookings made the way the product
makes them, instead of set-up copied from test to test (STYLE.md "fixtures and factories").

Rows that carry rules are made through the services, never by hand: a booking through
``create_booking`` (so its allocations, price lines, policy snapshot and history exist), so
a test cannot build a state the product could not reach. The spa itself comes from the
``spa`` fixture in ``conftest.py``; a booking factory needs it (the Swedish massage, Ana…).

    customer = CustomerFactory()                       # a non-member
    member = CustomerFactory(plan=spa.plans["vip"])    # a VIP member since 2026-01-01
    manager = StaffFactory(role=Role.MANAGER)
    booking = BookingFactory(customer=customer, start=local(2026, 12, 3, 10))
"""

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import factory

from coresync.accounts.models import Role, User
from coresync.bookings.models import Booking
from coresync.bookings.services import create_booking
from coresync.memberships.models import Membership, MembershipStatus

PASSWORD = "pass-word-123"
"""Every factory-made person's password."""

NEW_YORK = ZoneInfo("America/New_York")


class CustomerFactory(factory.django.DjangoModelFactory):
    """A customer (``plan=`` makes them a member of it since 2026-01-01)."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    name = factory.LazyAttribute(lambda person: person.email.split("@")[0])
    role = Role.CUSTOMER

    @classmethod
    def _create(cls, model_class: type[User], *args: Any, **kwargs: Any) -> User:
        return model_class.objects.create_user(*args, password=PASSWORD, **kwargs)

    @factory.post_generation
    def plan(person: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        """``CustomerFactory(plan=…)``: an active membership of that plan."""
        if create and extracted is not None:
            MembershipFactory(customer=person, plan=extracted)


class StaffFactory(CustomerFactory):
    """A staff member: ``role=Role.MANAGER`` (default), ``FRONT_DESK`` or ``TECHNICIAN``."""

    email = factory.Sequence(lambda n: f"staff{n}@example.com")
    role = Role.MANAGER


class MembershipFactory(factory.django.DjangoModelFactory):
    """An active membership since 2026-01-01 (pass ``plan``)."""

    class Meta:
        model = Membership

    customer = factory.SubFactory(CustomerFactory)
    started_on = date(2026, 1, 1)
    status = MembershipStatus.ACTIVE


class BookingFactory(factory.Factory):
    """A booking made by ``create_booking``: a Swedish massage for a new customer on
    Thursday 2026-12-03 at 10:00 New York time unless told otherwise. Any keyword of
    ``create_booking`` passes through (``technician="ana"``, ``guest_name=…``,
    ``awaiting_payment=True``, ``enforce_booking_window=False``…)."""

    class Meta:
        model = Booking

    customer = factory.SubFactory(CustomerFactory)
    service = "swedish"
    start = datetime(2026, 12, 3, 10, tzinfo=NEW_YORK)

    @classmethod
    def _create(cls, model_class: type[Booking], *args: Any, **kwargs: Any) -> Booking:
        return create_booking(*args, **kwargs)

    @classmethod
    def _build(cls, model_class: type[Booking], *args: Any, **kwargs: Any) -> Booking:
        raise TypeError("A booking is only made through create_booking: use create().")
