"""The demo spa file and ``manage.py demo``."""

from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError

from coresync.accounts.models import User
from coresync.bookings.models import Booking
from coresync.catalog.models import AddOn, Service, ServiceCategory
from coresync.memberships.models import MembershipPlan
from coresync.resources.models import Room, SlotHold, Technician
from coresync.spa.models import SpaSettings
from coresync.spafile.management.commands import demo as demo_command
from coresync.spafile.services import export_spa_text, import_spa_file, import_spa_text
from coresync.spafile.tests.conftest import DEMO_FILE

pytestmark = pytest.mark.django_db

DEMO_LOGINS = [
    "manager@coresync.example",
    "frontdesk@coresync.example",
    "lena@coresync.example",
    "omar@coresync.example",
    "sofia@coresync.example",
    "guest@coresync.example",
    "base@coresync.example",
    "premium@coresync.example",
    "vip@coresync.example",
    "lapsed@coresync.example",
]


def test_demo_file_loads_a_whole_spa(frozen_now):
    import_spa_file(DEMO_FILE)

    spa = SpaSettings.objects.get()
    assert (spa.name, spa.timezone, str(spa.tax_rate)) == (
        "CoreSync Spa",
        "America/New_York",
        "0.08875",
    )
    assert list(ServiceCategory.objects.values_list("slug", flat=True)) == [
        "massage",
        "facial",
        "barber",
        "mani-pedi",
        "thermal",
    ]
    assert Service.objects.count() == 15
    assert AddOn.objects.count() == 7
    assert sorted(set(Room.objects.values_list("room_type", flat=True))) == [
        "mensuite",
        "private",
        "shared",
        "vip",
    ]
    assert Room.objects.count() == 7
    assert Technician.objects.count() == 10
    assert list(MembershipPlan.objects.values_list("slug", "tier", "advance_days")) == [
        ("base", "base", 30),
        ("premium", "premium", 60),
        ("unlimited", "vip", 90),
    ]
    unlimited = MembershipPlan.objects.get(slug="unlimited")
    assert (unlimited.free_cancellation_hours, unlimited.late_cancellation_fee_percent) == (6, 25)
    assert unlimited.no_show_fee_percent is None
    assert SlotHold.objects.count() == 2
    assert Booking.objects.filter(status="confirmed").count() == 8
    couples = Booking.objects.get(service__slug="couples-massage")
    assert (couples.guests, couples.allocations.filter(technician__isnull=False).count()) == (2, 2)


def test_every_demo_login_signs_in_with_the_demo_password(frozen_now):
    import_spa_file(DEMO_FILE)

    assert (
        list(User.objects.order_by("pk").values_list("email", flat=True))
        == DEMO_LOGINS[5:] + DEMO_LOGINS[:5]
    )
    for email in DEMO_LOGINS:
        assert authenticate(username=email, password="demo-pass-123") is not None


def test_demo_round_trip_through_export_changes_nothing(frozen_now, snapshot):
    import_spa_file(DEMO_FILE)
    before = snapshot()

    import_spa_text(export_spa_text(), filename="export.yaml")

    assert snapshot() == before


def test_demo_command_books_the_coming_week(frozen_now):
    out = StringIO()

    call_command("demo", "--no-serve", stdout=out)

    assert "Demo week: 10 booked, 0 skipped (booked before, or no free time)." in out.getvalue()
    week = Booking.objects.filter(idempotency_key__startswith="demo:")
    assert Booking.objects.count() == 18
    local_days = {
        booking.start.astimezone(frozen_now.tzinfo).date().isoformat() for booking in week
    }
    assert local_days == {f"2026-12-0{day}" for day in range(2, 9)}


def test_demo_refuses_a_database_that_holds_data(frozen_now, snapshot):
    # given leftovers such as a bench run's category
    ServiceCategory.objects.create(slug="bench", name="Bench")
    before = snapshot()

    with pytest.raises(CommandError) as refused:
        call_command("demo", "--no-serve", stdout=StringIO())

    assert "already holds data (1 service categories)" in str(refused.value)
    assert "manage.py demo --reset" in str(refused.value)
    assert snapshot() == before


def test_demo_reset_refuses_a_database_that_is_not_the_demo_file(frozen_now, snapshot):
    # the test database is not var/coresync.sqlite3: --reset alone must not erase it
    ServiceCategory.objects.create(slug="bench", name="Bench")
    before = snapshot()

    with pytest.raises(CommandError) as refused:
        call_command("demo", "--no-serve", "--reset", stdout=StringIO())

    assert "Nothing was changed. Add --force to erase it." in str(refused.value)
    assert snapshot() == before


# Transactional: PostgreSQL cannot TRUNCATE (flush) inside the test's own transaction.
@pytest.mark.django_db(transaction=True)
def test_demo_reset_starts_again_from_a_clean_database(frozen_now, monkeypatch):
    call_command("demo", "--no-serve", stdout=StringIO())
    ServiceCategory.objects.create(slug="bench", name="Bench")
    monkeypatch.setattr(demo_command, "is_demo_database", lambda: True)
    out = StringIO()

    call_command("demo", "--no-serve", "--reset", stdout=out)

    assert "Erased the " in out.getvalue()
    assert not ServiceCategory.objects.filter(slug="bench").exists()
    assert "Demo week: 10 booked, 0 skipped" in out.getvalue()
    assert Booking.objects.count() == 18
    assert User.objects.get(email="frontdesk@coresync.example").has_perm("bookings.change_booking")


def test_the_makefile_demo_resets_the_demo_database():
    makefile = (Path(__file__).resolve().parents[3] / "Makefile").read_text(encoding="utf-8")
    assert "manage.py demo --reset\n" in makefile


def test_demo_command_prints_the_logins_and_the_url(frozen_now):
    out = StringIO()

    call_command("demo", "--no-serve", "--port", "8123", stdout=out)

    text = out.getvalue()
    assert (
        "CoreSync demo: http://127.0.0.1:8123/  (admin: http://127.0.0.1:8123/admin/, "
        "staff: http://127.0.0.1:8123/staff/)"
    ) in text
    assert "  manager                   manager@coresync.example    demo-pass-123" in text
    assert "  member (vip)              vip@coresync.example        demo-pass-123" in text
    assert all(email in text for email in DEMO_LOGINS)


def test_every_demo_service_has_a_guest_facing_description():
    document = yaml.safe_load(DEMO_FILE.read_text())
    missing = [entry["slug"] for entry in document["services"] if not entry.get("description")]
    assert missing == []
    developer_words = ("no therapist", "just a place")
    for entry in document["services"]:
        assert not any(words in entry["description"] for words in developer_words), entry["slug"]
