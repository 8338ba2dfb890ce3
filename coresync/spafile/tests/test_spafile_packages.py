"""``packages`` in the spa file (docs/gift-cards.md, docs/spa-file.md): packages of services
imported by slug, exported back, and a package naming a service or duration the spa does not
have refused with file, line, entry and field, changing nothing."""

from decimal import Decimal

import pytest

from coresync.giftcards.models import Package
from coresync.spafile.services import SpaFileError, export_spa_text, import_spa_text

pytestmark = pytest.mark.django_db

SPA = """
settings:
  name: Test Spa
  timezone: America/New_York
categories:
  - {slug: massage, name: Massage}
services:
  - slug: swedish
    name: Swedish Massage
    category: massage
    durations: [60, 90]
    prices: {"60": "150.00", "90": "210.00"}
    skill: massage
    room_types: [private]
packages:
  - {slug: five-swedish, name: Five Swedish Massages, service: swedish, minutes: 60,
     sessions: 5, price: "675.00"}
  - {slug: old-offer, name: Old Offer, service: swedish, minutes: 90, sessions: 2,
     price: "400.00", valid_days: 90, active: false}
"""


def test_packages_are_imported_by_slug_and_exported_back():
    report = import_spa_text(SPA, filename="spa.yaml")
    again = import_spa_text(SPA, filename="spa.yaml")

    five = Package.objects.get(slug="five-swedish")
    assert (five.service.slug, five.minutes, five.sessions, five.price, five.valid_days) == (
        "swedish",
        60,
        5,
        Decimal("675.00"),
        365,
    )
    old = Package.objects.get(slug="old-offer")
    assert (old.valid_days, old.is_active) == (90, False)
    assert report.created["packages"] == 2
    assert again.created["packages"] == 0 and again.updated["packages"] == 0
    exported = export_spa_text()
    assert "{slug: five-swedish, name: Five Swedish Massages, service: swedish" in exported
    assert "valid_days: 90, active: false}" in exported
    Package.objects.all().delete()
    import_spa_text(exported, filename="export.yaml")
    assert sorted(Package.objects.values_list("slug", "price")) == [
        ("five-swedish", Decimal("675.00")),
        ("old-offer", Decimal("400.00")),
    ]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            '{slug: x, name: X, service: hot-yoga, minutes: 60, sessions: 2, price: "1.00"}',
            'packages[1] (slug "x"): field "service": unknown service "hot-yoga"',
        ),
        (
            '{slug: x, name: X, service: swedish, minutes: 45, sessions: 2, price: "1.00"}',
            'packages[1] (slug "x"): field "minutes": swedish has no 45-minute variant',
        ),
        (
            '{slug: x, name: X, service: swedish, minutes: 60, sessions: 0, price: "1.00"}',
            'packages[1] (slug "x"): field "sessions"',
        ),
        (
            "{slug: five-swedish, name: X, service: swedish, minutes: 60, sessions: 2,"
            ' price: "1.00"}',
            'packages[1] (slug "five-swedish"): field "slug": duplicate slug "five-swedish"',
        ),
    ],
)
def test_a_bad_package_names_file_line_entry_and_field(entry, expected):
    text = SPA.replace("  - {slug: old-offer", f"  - {entry}\n  - {{slug: old-offer")

    with pytest.raises(SpaFileError) as refused:
        import_spa_text(text, filename="spa.yaml")

    message = str(refused.value)
    assert "spa.yaml:18: " + expected in message, message
    assert not Package.objects.exists()
