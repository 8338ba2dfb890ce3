"""Importing a spa file: what the example file creates, idempotency, updates in place."""

import hashlib
from datetime import UTC, date, datetime, time
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command

from coresync.accounts.models import User
from coresync.bookings.models import Booking
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
from coresync.spa.models import SpaSettings
from coresync.spafile.services import (
    SpaFileError,
    export_spa_text,
    import_spa_file,
    import_spa_text,
)
from coresync.spafile.tests.conftest import EXAMPLE_FILE

pytestmark = pytest.mark.django_db


# SHA-256 of ../shared/spa-file-example.yaml (the contract) when it was copied into the repo:
# a clone without the shared folder still notices an edited copy.
CONTRACT_SHA256 = "cc17d1062fb2c7f4db8e200330fcd02023dce8f81506cc07e8936cb3888caa4b"


def test_example_copy_is_the_shared_contract():
    copy = EXAMPLE_FILE.read_bytes()
    assert hashlib.sha256(copy).hexdigest() == CONTRACT_SHA256

    # Next to the shared folder, the contract itself is compared too (a newer contract).
    shared = Path(settings.BASE_DIR).parent / "shared" / "spa-file-example.yaml"
    if shared.exists():
        assert copy == shared.read_bytes()


def test_import_example_creates_every_row(frozen_now):
    report = import_spa_file(EXAMPLE_FILE)

    assert SpaSettings.objects.count() == 1
    assert MembershipPlan.objects.count() == 3
    assert ServiceCategory.objects.count() == 3
    assert Service.objects.count() == 3
    assert ServiceVariant.objects.count() == 4
    assert TierPrice.objects.count() == 1
    assert AddOn.objects.count() == 2
    assert PeakPricingWindow.objects.count() == 1
    assert Room.objects.count() == 2
    assert WorkingHours.objects.filter(room__isnull=False).count() == 9
    assert AvailabilityException.objects.filter(room__isnull=False).count() == 1
    assert Technician.objects.count() == 2
    assert WorkingHours.objects.filter(technician__isnull=False).count() == 6
    assert AvailabilityException.objects.filter(technician__isnull=False).count() == 2
    assert User.objects.count() == 5
    assert Membership.objects.count() == 2
    assert Booking.objects.count() == 1
    assert SlotHold.objects.count() == 0
    assert report.created["services"] == 3
    assert report.created["bookings"] == 1


def test_import_example_maps_settings_and_plans(frozen_now):
    import_spa_file(EXAMPLE_FILE)

    spa = SpaSettings.objects.get()
    assert (spa.timezone, spa.currency, spa.tax_rate) == (
        "America/New_York",
        "USD",
        Decimal("0.08875"),
    )
    assert (spa.min_notice_minutes, spa.slot_interval_minutes, spa.non_member_advance_days) == (
        120,
        15,
        3,
    )
    assert spa.free_cancellation_hours == 24
    assert spa.late_cancellation_fee_percent == Decimal("50")
    assert spa.no_show_fee_percent == Decimal("100")
    unlimited = MembershipPlan.objects.get(slug="unlimited")
    assert (unlimited.name, unlimited.tier, unlimited.advance_days) == ("Unlimited", "vip", 90)
    assert (unlimited.discount_percent, unlimited.priority, unlimited.vip) == (
        Decimal("40"),
        True,
        True,
    )
    assert (unlimited.monthly_price, unlimited.included_credits) == (Decimal("599.00"), 4)
    assert unlimited.free_cancellation_hours is None
    assert MembershipPlan.objects.get(slug="base").included_credits == 0


def test_import_example_maps_the_catalog(frozen_now):
    import_spa_file(EXAMPLE_FILE)

    deep_tissue = Service.objects.get(slug="deep-tissue")
    assert deep_tissue.category.slug == "massage"
    assert list(deep_tissue.variants.values_list("minutes", "price")) == [
        (60, Decimal("180.00")),
        (90, Decimal("250.00")),
    ]
    assert list(deep_tissue.tier_prices.values_list("tier", "minutes", "price")) == [
        ("premium", 60, Decimal("99.00"))
    ]
    assert (deep_tissue.skill, deep_tissue.room_types) == ("massage", ["mensuite", "private"])
    assert (deep_tissue.buffer_before, deep_tissue.buffer_after) == (0, 15)
    assert (deep_tissue.slot_interval_minutes, deep_tissue.max_guests) == (None, 1)
    assert Service.objects.get(slug="hot-towel-shave").slot_interval_minutes == 15
    steam = Service.objects.get(slug="steam-room")
    assert (steam.self_guided, steam.skill, steam.room_types) == (True, "", ["shared"])
    assert list(ServiceCategory.objects.values_list("slug", "position")) == [
        ("massage", 0),
        ("barber", 1),
        ("thermal", 2),
    ]
    hot_stones = AddOn.objects.get(slug="hot-stones")
    assert (hot_stones.price, hot_stones.extra_minutes) == (Decimal("35.00"), 15)
    assert list(hot_stones.services.values_list("slug", flat=True)) == ["deep-tissue"]
    peak = PeakPricingWindow.objects.get()
    assert (peak.days, peak.start, peak.end) == ([4, 5, 6], time(17), time(21))
    assert peak.modifier_percent == Decimal("15")


def test_import_example_maps_rooms_and_technicians(frozen_now):
    import_spa_file(EXAMPLE_FILE)

    suite = Room.objects.get(slug="suite-a")
    assert (suite.room_type, suite.capacity, suite.features) == (
        "mensuite",
        1,
        ["smart_mirror", "steam"],
    )
    assert list(suite.opening_hours.filter(weekday=4).values_list("start", "end")) == [
        (time(9), time(22))
    ]
    maintenance = suite.maintenance.get()
    assert (maintenance.kind, maintenance.date) == ("maintenance", date(2026, 12, 1))
    assert (maintenance.start, maintenance.end, maintenance.end_date) == (time(9), time(11), None)
    steam = Room.objects.get(slug="steam")
    assert (steam.features, steam.premium_modifier_percent) == ([], Decimal("0"))
    lena = Technician.objects.get(slug="lena")
    assert (lena.skills, lena.hourly_rate) == (["massage"], Decimal("42.00"))
    assert list(
        lena.working_hours.values_list("weekday", "start", "end", "valid_from", "valid_until")
    ) == [
        (0, time(9), time(13), date(2026, 1, 1), None),
        (0, time(14), time(18), date(2026, 1, 1), None),
        (2, time(12), time(20), date(2026, 1, 1), None),
        (5, time(10), time(16), date(2026, 1, 1), None),
    ]
    assert list(lena.exceptions.values_list("kind", "date", "start", "end")) == [
        ("day_off", date(2026, 12, 2), time(12), time(15)),
        ("holiday", date(2026, 12, 24), None, None),
    ]
    omar = Technician.objects.get(slug="omar")
    assert set(omar.working_hours.values_list("valid_from", "valid_until")) == {(None, None)}


def test_import_example_maps_people(frozen_now):
    import_spa_file(EXAMPLE_FILE)

    guest = User.objects.get(email="guest@example.com")
    assert (guest.name, guest.role, guest.is_staff) == ("Gia Guest", "customer", False)
    assert guest.check_password("change-me-123")
    assert not guest.memberships.exists()
    premium = Membership.objects.get(customer__email="premium@example.com")
    assert (premium.plan.slug, premium.started_on, premium.ends_on, premium.status) == (
        "premium",
        date(2026, 1, 1),
        None,
        "active",
    )
    lapsed = Membership.objects.get(customer__email="lapsed@example.com")
    assert (lapsed.plan.slug, lapsed.ends_on, lapsed.status) == (
        "base",
        date(2026, 6, 30),
        "expired",
    )
    manager = User.objects.get(email="manager@example.com")
    assert (manager.role, manager.is_staff, manager.is_superuser) == ("manager", True, False)
    assert list(manager.groups.values_list("name", flat=True)) == ["manager"]
    lena = User.objects.get(email="lena@example.com")
    assert (lena.role, lena.is_staff, lena.technician.slug) == ("technician", False, "lena")
    assert list(lena.groups.values_list("name", flat=True)) == ["technician"]
    assert set(Group.objects.values_list("name", flat=True)) == {
        "technician",
        "front_desk",
        "manager",
    }


def test_import_example_books_through_the_booking_service(frozen_now):
    import_spa_file(EXAMPLE_FILE)

    booking = Booking.objects.get()
    assert booking.customer.email == "premium@example.com"
    assert (booking.service.slug, booking.duration_minutes) == ("deep-tissue", 60)
    assert (booking.technician.slug, booking.room.slug) == ("lena", "suite-a")
    assert booking.start == datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
    assert list(booking.booking_addons.values_list("addon__slug", flat=True)) == ["cbd-oil"]
    assert (booking.status, booking.customer_tier) == ("confirmed", "premium")
    assert booking.idempotency_key.startswith("import:")
    assert booking.history.get().action == "booking.created"


@pytest.mark.parametrize(("status", "checked_in"), [("pending", False), ("in_progress", True)])
def test_booking_status_other_than_confirmed(status, checked_in, frozen_now, example_text):
    text = example_text.replace("addons: [cbd-oil]}", f"addons: [cbd-oil], status: {status}}}")

    import_spa_text(text, filename="spa.yaml")

    booking = Booking.objects.get()
    assert booking.status == status
    assert (booking.checked_in_at is not None) == checked_in
    assert (booking.hold_expires_at is not None) == (status == "pending")


def test_importing_twice_changes_nothing(frozen_now, snapshot):
    import_spa_file(EXAMPLE_FILE)
    before = snapshot()

    report = import_spa_file(EXAMPLE_FILE)

    assert snapshot() == before
    assert report.summary() == (
        "nothing to change: the database already matches the file\n"
        "bookings: 1 already present, skipped"
    )


def test_reimport_updates_entries_in_place(frozen_now, example_text):
    import_spa_text(example_text, filename="spa.yaml")
    service_pk = Service.objects.get(slug="deep-tissue").pk
    changed = (
        example_text.replace('prices: {"60": "180.00", "90": "250.00"}', 'price: "190.00"')
        .replace("durations: [60, 90]", "durations: [60]")
        .replace(
            'tier_prices: {premium: {"60": "99.00"}}', 'tier_prices: {unlimited: {"60": "95.00"}}'
        )
        .replace('wed: [["12:00", "20:00"]]', 'wed: [["12:00", "19:00"]]')
        .replace("- {date: 2026-12-24, kind: holiday}\n", "")
        .replace(
            'name: Pat Premium, password: "change-me-123"',
            'name: Pat Premium, password: "new-pass-456"',
        )
    )

    report = import_spa_text(changed, filename="spa.yaml")

    deep_tissue = Service.objects.get(slug="deep-tissue")
    assert deep_tissue.pk == service_pk
    assert list(deep_tissue.variants.values_list("minutes", "price")) == [(60, Decimal("190.00"))]
    assert list(deep_tissue.tier_prices.values_list("tier", "minutes", "price")) == [
        ("vip", 60, Decimal("95.00"))
    ]
    lena = Technician.objects.get(slug="lena")
    assert list(lena.working_hours.filter(weekday=2).values_list("start", "end")) == [
        (time(12), time(19))
    ]
    assert list(lena.exceptions.values_list("kind", flat=True)) == ["day_off"]
    assert User.objects.get(email="premium@example.com").check_password("new-pass-456")
    assert (
        report.updated["services"],
        report.updated["technicians"],
        report.updated["customers"],
    ) == (1, 1, 1)
    assert Service.objects.count() == 3
    assert Booking.objects.count() == 1


def test_reimport_does_not_rehash_a_matching_password(frozen_now, example_text):
    import_spa_text(example_text, filename="spa.yaml")
    stored = User.objects.get(email="guest@example.com").password

    import_spa_text(example_text, filename="spa.yaml")

    assert User.objects.get(email="guest@example.com").password == stored


def test_entry_without_password_keeps_the_existing_one(frozen_now, example_text):
    import_spa_text(example_text, filename="spa.yaml")
    without = example_text.replace(
        'name: Gia Guest, password: "change-me-123"', "name: Gia G. Guest"
    )

    import_spa_text(without, filename="spa.yaml")

    guest = User.objects.get(email="guest@example.com")
    assert guest.name == "Gia G. Guest"
    assert guest.check_password("change-me-123")


def test_partial_file_leaves_other_sections_alone(frozen_now, example_text, snapshot):
    import_spa_text(example_text, filename="spa.yaml")
    before = snapshot()

    import_spa_text("categories:\n  - {slug: facial, name: Facial}\n", filename="more.yaml")

    after = snapshot()
    assert ServiceCategory.objects.get(slug="facial").position == 0
    assert {label: rows for label, rows in after.items() if label != "catalog.ServiceCategory"} == {
        label: rows for label, rows in before.items() if label != "catalog.ServiceCategory"
    }


def test_plan_slug_in_tier_prices_means_its_tier(frozen_now, example_text):
    text = example_text.replace(
        'tier_prices: {premium: {"60": "99.00"}}', 'tier_prices: {unlimited: {"90": "150.00"}}'
    )

    import_spa_text(text, filename="spa.yaml")

    assert list(TierPrice.objects.values_list("tier", "minutes", "price")) == [
        ("vip", 90, Decimal("150.00"))
    ]


def test_schedules_give_several_validity_ranges(frozen_now, example_text):
    text = example_text.replace(
        '    weekly_hours:\n      tue: [["10:00", "19:00"]]\n      thu: [["10:00", "19:00"]]\n',
        "    schedules:\n"
        "      - valid_from: 2026-01-01\n"
        "        valid_until: 2026-12-31\n"
        '        weekly_hours: {tue: [["10:00", "19:00"]]}\n'
        "      - valid_from: 2027-01-01\n"
        '        weekly_hours: {thu: [["09:00", "13:00"], ["14:00", "18:00"]]}\n',
    )

    import_spa_text(text, filename="spa.yaml")

    omar = Technician.objects.get(slug="omar")
    assert list(
        omar.working_hours.order_by("valid_from", "weekday", "start").values_list(
            "weekday", "start", "end", "valid_from", "valid_until"
        )
    ) == [
        (1, time(10), time(19), date(2026, 1, 1), date(2026, 12, 31)),
        (3, time(9), time(13), date(2027, 1, 1), None),
        (3, time(14), time(18), date(2027, 1, 1), None),
    ]


LENA_HOLD = (
    '  - {technician: lena, start: "2026-12-12T10:00:00-05:00", end: "2026-12-12T16:00:00-05:00",'
    ' level: priority, until: "2026-12-10T12:00:00-05:00"}\n'
)
SPA_HOLD = (
    '  - {start: "2026-12-31T17:00:00-05:00", end: "2026-12-31T21:00:00-05:00", level: vip,'
    ' until: "2026-12-30T00:00:00-05:00", note: New Year}\n'
)


def test_holds_are_loaded_and_replaced_to_match_the_file(frozen_now, example_text):
    import_spa_text(example_text + "holds:\n" + LENA_HOLD + SPA_HOLD, filename="spa.yaml")
    assert list(
        SlotHold.objects.order_by("pk").values_list(
            "technician__slug", "level", "starts_at", "note"
        )
    ) == [
        ("lena", "priority", datetime(2026, 12, 12, 15, 0, tzinfo=UTC), ""),
        (None, "vip", datetime(2026, 12, 31, 22, 0, tzinfo=UTC), "New Year"),
    ]
    kept = SlotHold.objects.get(level="vip").pk

    report = import_spa_text(example_text + "holds:\n" + SPA_HOLD, filename="spa.yaml")

    assert list(SlotHold.objects.values_list("pk", flat=True)) == [kept]
    assert (report.created["holds"], report.deleted["holds"]) == (0, 1)


def test_dry_run_checks_everything_and_writes_nothing(frozen_now, snapshot):
    before = snapshot()

    report = import_spa_file(EXAMPLE_FILE, dry_run=True)

    assert report.created["bookings"] == 1
    assert snapshot() == before


def test_command_imports_and_reports(frozen_now):
    out = StringIO()

    call_command("import_spa", str(EXAMPLE_FILE), stdout=out)

    assert "services: 3 created, 0 updated" in out.getvalue()
    assert f"Imported {EXAMPLE_FILE}." in out.getvalue()
    assert Service.objects.count() == 3


def test_import_function_raises_with_every_problem(frozen_now, example_text):
    text = example_text.replace("room_types: [shared]", "room_types: [sauna]").replace(
        "category: barber", "category: barbers"
    )

    with pytest.raises(SpaFileError) as raised:
        import_spa_text(text, filename="spa.yaml")

    assert raised.value.messages == [
        'spa.yaml:40: services[1] (slug "hot-towel-shave"): field "category": '
        'unknown category "barbers"',
        'spa.yaml:54: services[2] (slug "steam-room"): field "room_types[0]": '
        'unknown room type "sauna" (use mensuite, private, shared, vip)',
    ]


def test_the_check_in_window_round_trips_through_the_spa_file(frozen_now, example_text):
    text = example_text.replace("settings:\n", "settings:\n  check_in_window_minutes: 45\n", 1)

    import_spa_text(text, filename="spa.yaml")

    assert SpaSettings.objects.get().check_in_window_minutes == 45
    assert "check_in_window_minutes: 45" in export_spa_text()
