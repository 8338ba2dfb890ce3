"""Fixtures of the spa-file tests: the example file (a copy of the shared contract, so the
tests do not depend on a folder outside the repository) and a snapshot of every table an
import writes, to prove that a second import, or a failed one, changed nothing."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Group

from coresync.accounts.models import User
from coresync.bookings.models import Booking, BookingAddOn, BookingHistory
from coresync.catalog.models import (
    AddOn,
    PeakPricingWindow,
    Service,
    ServiceCategory,
    ServiceVariant,
)
from coresync.memberships.models import Membership, MembershipPlan, TierPrice
from coresync.resources.models import (
    AvailabilityException,
    Room,
    SlotHold,
    Technician,
    WorkingHours,
)
from coresync.scheduling.models import Allocation
from coresync.spa.models import IssuedNumber, SpaSettings

DATA = Path(__file__).resolve().parent / "data"
EXAMPLE_FILE = DATA / "spa-file-example.yaml"
DEMO_FILE = Path(__file__).resolve().parents[1] / "demo" / "spa.yaml"

SNAPSHOT_MODELS = [
    SpaSettings,
    MembershipPlan,
    ServiceCategory,
    Service,
    ServiceVariant,
    TierPrice,
    AddOn,
    AddOn.services.through,
    PeakPricingWindow,
    Room,
    Technician,
    WorkingHours,
    AvailabilityException,
    SlotHold,
    Group,
    User,
    User.groups.through,
    Membership,
    Booking,
    BookingAddOn,
    Allocation,
    BookingHistory,
    IssuedNumber,
]


def take_snapshot() -> dict[str, list[tuple]]:
    """Return every row of every table an import writes, field by field, in primary-key
    order (so re-created rows with new keys show as changes)."""
    return {
        model._meta.label: [
            tuple(getattr(row, field.attname) for field in model._meta.concrete_fields)
            for row in model.objects.order_by("pk")
        ]
        for model in SNAPSHOT_MODELS
    }


@pytest.fixture
def example_text() -> str:
    """The text of the example spa file."""
    return EXAMPLE_FILE.read_text(encoding="utf-8")


@pytest.fixture
def snapshot():
    """A function returning the rows of every table an import writes."""
    return take_snapshot
