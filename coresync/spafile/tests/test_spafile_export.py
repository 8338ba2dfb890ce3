"""Exporting: the example's format, round trips, and what only an export can show."""

import copy
from datetime import date, time
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
import yaml
from django.core.management import call_command

from coresync.accounts.models import User
from coresync.bookings.models import Booking
from coresync.bookings.services import cancel_booking
from coresync.memberships.models import Membership
from coresync.resources.models import Technician, WorkingHours
from coresync.spafile.services import (
    SpaFileError,
    export_spa_text,
    import_spa_file,
    import_spa_text,
)
from coresync.spafile.tests.conftest import EXAMPLE_FILE

pytestmark = pytest.mark.django_db

# Defaults an export leaves out or writes out (docs/spa-file.md, "Export").
ROOM_DEFAULTS = {"features": [], "premium_modifier_percent": 0, "maintenance": []}
TECHNICIAN_DEFAULTS = {"valid_from": None, "valid_until": None, "exceptions": []}
SERVICE_DEFAULTS = {"buffer_before": 0, "buffer_after": 0, "tier_prices": {}}


def _by_date(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(entries, key=lambda entry: (entry["date"], entry.get("start", "")))


def normalize(document: dict[str, Any]) -> dict[str, Any]:
    """Apply the documented export normalizations to a parsed spa file."""
    document = copy.deepcopy(document)
    for person in document.get("customers", []) + document.get("staff", []):
        person.pop("password", None)
    for service in document.get("services", []):
        if "price" in service and len(service["durations"]) > 1:
            price = service.pop("price")
            service["prices"] = {str(minutes): price for minutes in service["durations"]}
        for key, default in SERVICE_DEFAULTS.items():
            service.setdefault(key, default)
    for room in document.get("rooms", []):
        for key, default in ROOM_DEFAULTS.items():
            room.setdefault(key, default)
        room["maintenance"] = _by_date(room["maintenance"])
    for technician in document.get("technicians", []):
        for key, default in TECHNICIAN_DEFAULTS.items():
            technician.setdefault(key, default)
        technician["exceptions"] = _by_date(technician["exceptions"])
    for addon in document.get("addons", []):
        addon["services"] = sorted(addon["services"])
    return document


def test_round_trip_of_the_example_gives_the_same_content(frozen_now, example_text):
    import_spa_text(example_text, filename="spa.yaml")

    exported = export_spa_text()

    assert normalize(yaml.safe_load(exported)) == normalize(yaml.safe_load(example_text))


def test_export_writes_the_example_format(frozen_now):
    import_spa_file(EXAMPLE_FILE)

    lines = export_spa_text().splitlines()

    for line in (
        '  tax_rate: "0.08875"',
        "  - {slug: unlimited, name: Unlimited, tier: vip, advance_days: 90, discount_percent: 40,"
        ' priority: true, vip: true, monthly_price: "599.00", included_credits: 4}',
        '    prices: {"60": "180.00", "90": "250.00"}',
        '    tier_prices: {premium: {"60": "99.00"}}',
        '    price: "75.00"',
        "    self_guided: true",
        '      mon: [["09:00", "13:00"], ["14:00", "18:00"]]',
        "    valid_from: 2026-01-01",
        '      - {date: 2026-12-02, kind: day_off, start: "12:00", end: "15:00"}',
        "  - {email: lapsed@example.com, name: Lou Lapsed, plan: base,"
        " membership_start: 2026-01-01, membership_end: 2026-06-30}",
        "  - {email: lena@example.com, name: Lena Park, role: technician, technician: lena}",
        "  - {customer: premium@example.com, service: deep-tissue, duration: 60, technician: lena,"
        ' room: suite-a, start: "2026-12-07T10:00:00-05:00", addons: [cbd-oil]}',
    ):
        assert line in lines
    assert not any("password" in line for line in lines)


def test_importing_an_export_changes_nothing(frozen_now, snapshot):
    import_spa_file(EXAMPLE_FILE)
    before = snapshot()

    report = import_spa_text(export_spa_text(), filename="export.yaml")

    assert snapshot() == before
    assert report.summary() == (
        "nothing to change: the database already matches the file\n"
        "bookings: 1 already present, skipped"
    )


def test_export_into_an_empty_database_needs_the_passwords(frozen_now, example_text):
    import_spa_text(example_text, filename="spa.yaml")
    exported = export_spa_text()
    Booking.objects.all().delete()
    User.objects.all().delete()

    with pytest.raises(SpaFileError) as raised:
        import_spa_text(exported, filename="export.yaml")

    assert len(raised.value.messages) == 5
    assert all(
        message.endswith('field "password": required for a new account')
        for message in raised.value.messages
    )


def test_export_writes_several_schedules_and_non_default_values(frozen_now, example_text):
    import_spa_text(example_text, filename="spa.yaml")
    omar = Technician.objects.get(slug="omar")
    omar.working_hours.update(valid_until=date(2026, 12, 31))
    WorkingHours.objects.create(
        technician=omar, weekday=0, start=time(9), end=time(12), valid_from=date(2027, 1, 1)
    )
    Membership.objects.filter(customer__email="premium@example.com").update(status="cancelled")

    document = yaml.safe_load(export_spa_text())

    exported_omar = document["technicians"][1]
    assert exported_omar["schedules"] == [
        {
            "valid_from": None,
            "valid_until": date(2026, 12, 31),
            "weekly_hours": {"tue": [["10:00", "19:00"]], "thu": [["10:00", "19:00"]]},
        },
        {
            "valid_from": date(2027, 1, 1),
            "valid_until": None,
            "weekly_hours": {"mon": [["09:00", "12:00"]]},
        },
    ]
    assert "weekly_hours" not in exported_omar
    assert document["customers"][1]["membership_status"] == "cancelled"
    assert "membership_status" not in document["customers"][2]


def test_export_leaves_out_bookings_that_are_no_longer_active(frozen_now, example_text):
    import_spa_text(example_text, filename="spa.yaml")
    booking = Booking.objects.get()
    cancel_booking(booking, actor=booking.customer)

    document = yaml.safe_load(export_spa_text())

    assert document["bookings"] == []


def test_export_of_a_changed_spa_reimports_identically(frozen_now, example_text, snapshot):
    import_spa_text(example_text, filename="spa.yaml")
    Technician.objects.filter(slug="lena").update(
        bio="Ten years of deep tissue.", hourly_rate=Decimal("44.50")
    )
    User.objects.filter(email="guest@example.com").update(
        phone="+1 212 555 0100", name="Zoë « Guest »"
    )
    before = snapshot()

    import_spa_text(export_spa_text(), filename="export.yaml")

    assert snapshot() == before


def test_export_command_writes_stdout_or_a_file(frozen_now, tmp_path):
    import_spa_file(EXAMPLE_FILE)
    out = StringIO()
    target = tmp_path / "out.yaml"

    call_command("export_spa", stdout=out)
    call_command("export_spa", str(target), stderr=StringIO())

    assert out.getvalue() == export_spa_text()
    assert target.read_text(encoding="utf-8") == export_spa_text()
