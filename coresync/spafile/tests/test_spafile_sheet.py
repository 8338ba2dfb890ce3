"""A pricing sheet (tabs, rows, columns) checked by the spa file's models: the same rules,
problems placed by tab, row and column."""

from decimal import Decimal

import pytest

from coresync.catalog.models import Service, ServiceVariant
from coresync.spafile.services import SpaFileError, import_document, import_spa_text, parse_sheet

pytestmark = pytest.mark.django_db

HEADER = ["slug", "name", "category", "durations", "price", "prices", "skill", "room_types"]


def _tabs(*services: list) -> dict[str, list[list]]:
    return {
        "categories": [["slug", "name"], ["massage", "Massage"], ["barber", "Barber"]],
        "services": [HEADER, *services],
    }


def test_a_pricing_sheet_is_read_and_imported_like_the_file(frozen_now):
    tabs = _tabs(
        [
            "deep-tissue",
            "Deep Tissue",
            "massage",
            "[60, 90]",
            None,
            '{"60": "180.00", "90": "250.00"}',
            "massage",
            "[private]",
        ],
        ["shave", "Shave", "barber", "[45]", 75.0, None, "barber", "[mensuite]"],
    )

    document = parse_sheet(tabs, filename="prices.xlsx")
    import_document(document, now=frozen_now)

    assert [service.price_table() for service in document.services] == [
        {60: Decimal("180.00"), 90: Decimal("250.00")},
        {45: Decimal("75.00")},
    ]
    assert set(ServiceVariant.objects.values_list("service__slug", "minutes", "price")) == {
        ("deep-tissue", 60, Decimal("180.00")),
        ("deep-tissue", 90, Decimal("250.00")),
        ("shave", 45, Decimal("75.00")),
    }


def test_sheet_problems_name_the_file_tab_row_column_entry_and_field(frozen_now, example_text):
    import_spa_text(example_text, filename="spa.yaml")
    before = list(Service.objects.values_list("slug", "name"))
    tabs = _tabs(
        ["deep-tissue", "Deep Tissue", "massage", "[60]", "180.5", None, "massage", "[private]"],
        ["shave", "Shave", "barbers", "[45]", "75.00", None, "barber", "[sauna]"],
        ["shave", "Shave again", "barber", "[45]", "75.00", None, None, "[mensuite]"],
    )

    with pytest.raises(SpaFileError) as raised:
        parse_sheet(tabs, filename="prices.xlsx")

    assert raised.value.messages == [
        'prices.xlsx:services!E2: services[0] (slug "deep-tissue"): field "price": expected '
        'an amount as a string with two decimals, e.g. "180.00"; got "180.5"',
        'prices.xlsx:services!C3: services[1] (slug "shave"): field "category": unknown '
        'category "barbers"',
        'prices.xlsx:services!H3: services[1] (slug "shave"): field "room_types[0]": unknown '
        'room type "sauna" (use mensuite, private, shared, vip)',
        'prices.xlsx:services!4:4: services[2] (slug "shave"): field "skill": required field '
        "is missing (or set self_guided: true)",
        'prices.xlsx:services!A4: services[2] (slug "shave"): field "slug": duplicate slug '
        '"shave" (first on services!A3)',
    ]
    assert list(Service.objects.values_list("slug", "name")) == before


def test_an_unknown_tab_is_named(db):
    with pytest.raises(SpaFileError) as raised:
        parse_sheet({"service": [["slug"], ["x"]]}, filename="prices.xlsx")

    assert raised.value.messages[0].startswith(
        'prices.xlsx:service: section "service": unknown section (did you mean "services"?)'
    )
