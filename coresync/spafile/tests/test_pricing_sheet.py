"""The pricing tables as a spreadsheet an owner edits: one tab per category (a row per
service duration, a price column per membership tier) and the membership tiers tab. XLSX
upload and Google Sheet (recorded Google answers), checked by the spa file's models, all or
nothing, cached, with the database as the fallback when Google is down."""

import json
from decimal import Decimal

import openpyxl
import pytest
from django.core.cache import cache

from coresync.catalog.models import ServiceVariant
from coresync.googlesync.tests.google_fake import RecordedGoogle, error
from coresync.memberships.models import MembershipPlan, TierPrice
from coresync.spafile import pricing
from coresync.spafile.services import SpaFileError, import_spa_text

pytestmark = pytest.mark.django_db

SHEET_ID = "1PricingSheetId"
CATEGORY_HEADER = [
    "Service",
    "Duration (min)",
    "Non-member",
    "Base",
    "Premium",
    "Unlimited",
    "Slug",
]
TABS = ["Massage", "Barber", "Thermal", "Membership tiers"]


@pytest.fixture
def example_spa(example_text, frozen_now):
    import_spa_text(example_text, filename="spa.yaml")


def prices():
    return sorted(ServiceVariant.objects.values_list("service__slug", "minutes", "price"))


def tier_prices():
    return sorted(TierPrice.objects.values_list("service__slug", "tier", "minutes", "price"))


def row_of(tabs, tab, slug, minutes=None):
    """The row (a list, edited in place) of ``slug`` at ``minutes`` (or of the plan ``slug``)
    and its 1-based row number."""
    for number, row in enumerate(tabs[tab][1:], start=2):
        is_plan = tab == "Membership tiers" and row[0] == slug
        if is_plan or (row[-1] == slug and (minutes is None or row[1] == minutes)):
            return row, number
    raise AssertionError(f"{slug} not in {tab}")


def column(tabs, tab, heading):
    return tabs[tab][0].index(heading)


def upload(tabs):
    """``tabs`` through an XLSX file, as the upload page reads it."""
    return pricing.read_xlsx(pricing.write_xlsx(tabs))


def test_the_export_is_laid_out_for_an_owner(example_spa):
    tabs = pricing.export_pricing_tabs()

    assert list(tabs) == TABS
    assert tabs["Massage"] == [
        CATEGORY_HEADER,
        ["Deep Tissue Massage", 60, "180.00", "", "99.00", "", "deep-tissue"],
        ["Deep Tissue Massage", 90, "250.00", "", "", "", "deep-tissue"],
    ]
    assert tabs["Barber"][1] == ["Hot Towel Shave", 45, "75.00", "", "", "", "hot-towel-shave"]
    assert tabs["Membership tiers"] == [
        [
            "Slug",
            "Name",
            "Tier",
            "Monthly price",
            "Discount (%)",
            "Advance days",
            "Included credits",
        ],
        ["base", "Base", "base", "149.00", 30, 30, 0],
        ["premium", "Premium", "premium", "249.00", 40, 60, 0],
        ["unlimited", "Unlimited", "vip", "599.00", 40, 90, 4],
    ]


def test_xlsx_round_trip_changes_nothing_then_an_edited_price_is_imported(
    example_spa, frozen_now, snapshot
):
    # Given the pricing tables downloaded as XLSX
    data = pricing.write_xlsx(pricing.export_pricing_tabs())
    before = snapshot()
    variants_before, tier_prices_before = prices(), tier_prices()

    # When the same workbook is uploaded: nothing changes
    report = pricing.import_pricing_tabs(pricing.read_xlsx(data), filename="prices.xlsx")
    assert report.summary() == "nothing to change: the database already matches the file"
    assert snapshot() == before

    # When the owner types 190 (a number) for Deep Tissue 60 min, $110.00 for Premium at
    # 60 min and $159.00 for the Base plan's monthly price
    workbook = openpyxl.load_workbook(pricing.io.BytesIO(data))
    massage = workbook["Massage"]
    massage["C2"].value = 190
    massage["E2"].value = "110.00"
    workbook["Membership tiers"]["D2"].value = "159.00"
    edited = pricing.io.BytesIO()
    workbook.save(edited)
    pricing.import_pricing_tabs(pricing.read_xlsx(edited.getvalue()), filename="prices.xlsx")

    # Then exactly those prices changed
    assert prices() == sorted(
        ("deep-tissue", 60, Decimal("190.00")) if row[:2] == ("deep-tissue", 60) else row
        for row in variants_before
    )
    assert tier_prices() == sorted(
        ("deep-tissue", "premium", 60, Decimal("110.00"))
        if row[:3] == ("deep-tissue", "premium", 60)
        else row
        for row in tier_prices_before
    )
    assert MembershipPlan.objects.get(slug="base").monthly_price == Decimal("159.00")
    assert MembershipPlan.objects.get(slug="premium").monthly_price == Decimal("249.00")


def test_a_sheet_with_a_bad_price_names_tab_row_and_column_and_changes_nothing(
    example_spa, snapshot
):
    # Given a sheet whose shave has a price without cents and whose Premium plan a bad fee
    tabs = pricing.export_pricing_tabs()
    shave, shave_row = row_of(tabs, "Barber", "hot-towel-shave", 45)
    shave[column(tabs, "Barber", "Non-member")] = "75.5"
    premium, premium_row = row_of(tabs, "Membership tiers", "premium")
    premium[column(tabs, "Membership tiers", "Monthly price")] = "cheap"
    before = snapshot()

    # When it is uploaded
    with pytest.raises(SpaFileError) as raised:
        pricing.import_pricing_tabs(upload(tabs), filename="prices.xlsx")

    # Then each problem names the tab, the row and the column, and nothing was written
    assert raised.value.messages == [
        f'prices.xlsx:Barber!C{shave_row}: Hot Towel Shave, 45 min: column "Non-member": '
        'expected an amount as a string with two decimals, e.g. "180.00"; got "75.5"',
        f"prices.xlsx:'Membership tiers'!D{premium_row}: plan \"premium\": "
        'column "Monthly price": expected an amount as a string with two decimals, '
        'e.g. "180.00"; got "cheap"',
    ]
    assert snapshot() == before


def test_an_emptied_tier_cell_removes_that_tier_price(example_spa):
    tabs = pricing.export_pricing_tabs()
    deep_tissue, _ = row_of(tabs, "Massage", "deep-tissue", 60)
    deep_tissue[column(tabs, "Massage", "Premium")] = ""
    variants_before = prices()

    pricing.import_pricing_tabs(upload(tabs), filename="prices.xlsx")

    assert not TierPrice.objects.filter(service__slug="deep-tissue").exists()
    assert prices() == variants_before


def test_a_tier_price_is_added_in_an_empty_cell(example_spa):
    tabs = pricing.export_pricing_tabs()
    shave, _ = row_of(tabs, "Barber", "hot-towel-shave", 45)
    shave[column(tabs, "Barber", "Unlimited")] = "60.00"

    pricing.import_pricing_tabs(upload(tabs), filename="prices.xlsx")

    assert TierPrice.objects.filter(service__slug="hot-towel-shave").get().tier == "vip"
    assert ("deep-tissue", "premium", 60, Decimal("99.00")) in tier_prices()


def test_unknown_service_missing_duration_wrong_category_and_duplicate_rows_are_named(
    example_spa, snapshot
):
    # Given a Massage tab with an edit, then a service that does not exist, a duration Deep
    # Tissue does not have, the shave (a Barber service) and Deep Tissue 90 min twice
    tabs = pricing.export_pricing_tabs()
    tabs["Massage"][1][2] = "200.00"
    tabs["Massage"] += [
        ["Hot Stone Massage", 60, "150.00"],
        ["Deep Tissue Massage", 75, "200.00"],
        ["Hot Towel Shave", 45, "75.00"],
        ["", 90, "250.00", "", "", "", "deep-tissue"],
    ]
    before = snapshot()

    with pytest.raises(SpaFileError) as raised:
        pricing.import_pricing_tabs(upload(tabs), filename="prices.xlsx")

    assert raised.value.messages == [
        'prices.xlsx:Massage!A4: column "Service": unknown service "Hot Stone Massage"',
        'prices.xlsx:Massage!B5: Deep Tissue Massage: column "Duration (min)": deep-tissue '
        "has no 75-minute variant (durations: [60, 90])",
        'prices.xlsx:Massage!A6: Hot Towel Shave: column "Service": "Hot Towel Shave" is in '
        'category "Barber", not "Massage" (the sheet does not move services)',
        'prices.xlsx:Massage!B7: Deep Tissue Massage: column "Duration (min)": Deep Tissue '
        "Massage, 90 min is listed twice (first on Massage!3:3); leave one row",
    ]
    assert snapshot() == before


def test_an_empty_price_and_an_unknown_plan_are_named(example_spa, snapshot):
    tabs = pricing.export_pricing_tabs()
    tabs["Thermal"][1][2] = ""
    tabs["Membership tiers"].append(["gold", "Gold", "vip", "799.00", 50, 120, 8])
    before = snapshot()

    with pytest.raises(SpaFileError) as raised:
        pricing.import_pricing_tabs(upload(tabs), filename="prices.xlsx")

    assert raised.value.messages == [
        'prices.xlsx:Thermal!C2: Steam Room, 30 min: column "Non-member": expected an amount '
        'as a string with two decimals, e.g. "180.00"; got ""',
        'prices.xlsx:\'Membership tiers\'!A5: column "Slug": unknown plan "gold" (plans are '
        "added on the manager's pages)",
    ]
    assert snapshot() == before


def test_unknown_tabs_and_columns_are_named(example_spa, snapshot):
    tabs = pricing.export_pricing_tabs()
    tabs["Massage"][0][3] = "Gold"
    tabs["Masage"] = [list(CATEGORY_HEADER)]
    before = snapshot()

    with pytest.raises(SpaFileError) as raised:
        pricing.import_pricing_tabs(upload(tabs), filename="prices.xlsx")

    assert raised.value.messages == [
        'prices.xlsx:Massage!D1: column "Gold": unknown column',
        "prices.xlsx:Masage: unknown tab: not a category's name (tabs are Massage, Barber, "
        "Thermal, Membership tiers)",
    ]
    assert snapshot() == before


def test_services_and_tabs_left_out_keep_their_prices(example_spa):
    # Given a workbook holding only the Massage tab, without its 90-minute row
    tabs = pricing.export_pricing_tabs()
    massage = [tabs["Massage"][0], tabs["Massage"][1]]
    massage[1][2] = "185.00"
    plans_before = list(MembershipPlan.objects.values_list("slug", "monthly_price"))

    pricing.import_pricing_tabs(upload({"Massage": massage}), filename="prices.xlsx")

    # Then only Deep Tissue 60 min changed
    assert prices() == [
        ("deep-tissue", 60, Decimal("185.00")),
        ("deep-tissue", 90, Decimal("250.00")),
        ("hot-towel-shave", 45, Decimal("75.00")),
        ("steam-room", 30, Decimal("40.00")),
    ]
    assert ("deep-tissue", "premium", 60, Decimal("99.00")) in tier_prices()
    assert list(MembershipPlan.objects.values_list("slug", "monthly_price")) == plans_before


def test_a_service_may_be_named_without_its_slug(example_spa):
    tabs = {"Barber": [["Service", "Duration (min)", "Non-member"], ["hot towel shave", 45, 80]]}

    pricing.import_pricing_tabs(upload(tabs), filename="prices.xlsx")

    assert ("hot-towel-shave", 45, Decimal("80.00")) in prices()


def test_a_file_that_is_not_a_workbook_is_refused(db):
    with pytest.raises(SpaFileError) as raised:
        pricing.read_xlsx(b"name,price\nshave,75\n")
    assert "not an XLSX workbook" in raised.value.messages[0]


@pytest.fixture
def google_sheet(settings, monkeypatch):
    settings.GOOGLE_PROVIDER = "google"
    settings.GOOGLE_PRICING_SHEET_ID = SHEET_ID
    from coresync.googlesync.providers import google

    holder = {}

    def install(answers):
        holder["http"] = RecordedGoogle(answers)
        monkeypatch.setattr(google, "authorized_http", lambda link, scopes: holder["http"])
        return holder["http"]

    return install


def sheet_titles(titles=TABS):
    return 200, {"sheets": [{"properties": {"title": title}} for title in titles]}


def value_ranges(tabs, titles=TABS):
    return 200, {"valueRanges": [{"values": tabs[tab]} for tab in titles]}


def test_google_sheet_export_then_import_of_an_edit_with_a_short_cache(
    example_spa, frozen_now, google_sheet
):
    # When the tables are exported to the Google Sheet (the tabs exist already)
    http = google_sheet(
        [
            sheet_titles(),
            (200, {"clearedRanges": TABS}),
            (200, {"totalUpdatedCells": 40}),
        ]
    )
    pricing.export_to_google()
    written = http.requests[2][2]
    assert written["valueInputOption"] == "RAW"
    assert [item["range"] for item in written["data"]] == [f"'{tab}'!A1" for tab in TABS]
    assert written["data"][0]["values"][0] == CATEGORY_HEADER

    # When the owner changes Deep Tissue 60 min to $200.00 in Google (Google gives a number)
    tabs = json.loads(json.dumps(pricing.export_pricing_tabs()))
    row, _ = row_of(tabs, "Massage", "deep-tissue", 60)
    row[column(tabs, "Massage", "Non-member")] = 200
    cache.delete(pricing.CACHE_KEY)  # the cache lifetime has passed
    http = google_sheet([sheet_titles(), value_ranges(tabs)])
    assert pricing.sync_pricing_sheet() == 1

    # Then the price is imported, read once; the next run reads the cache and imports nothing
    assert ("deep-tissue", 60, Decimal("200.00")) in prices()
    assert len(http.requests) == 2
    assert "ranges=%27Massage%27" in http.requests[1][1]
    assert "ranges=%27Membership+tiers%27" in http.requests[1][1]
    assert pricing.sync_pricing_sheet() == 0
    assert len(http.requests) == 2


def test_a_category_without_a_tab_in_the_google_sheet_keeps_its_prices(
    example_spa, frozen_now, google_sheet
):
    # Given a Google Sheet written before the Thermal category existed, with an edit
    tabs = json.loads(json.dumps(pricing.export_pricing_tabs()))
    tabs["Massage"][1][column(tabs, "Massage", "Non-member")] = "185.00"
    titles = ["Massage", "Barber", "Membership tiers"]
    http = google_sheet([sheet_titles(titles), value_ranges(tabs, titles)])

    # When it is imported
    pricing.import_from_google()

    # Then only the tabs it has were read, and the edit is imported
    assert "Thermal" not in http.requests[1][1]
    assert ("deep-tissue", 60, Decimal("185.00")) in prices()
    assert ("steam-room", 30, Decimal("40.00")) in prices()


def test_google_down_falls_back_to_the_database(example_spa, frozen_now, google_sheet):
    # Given Google answering 503 (a failure is not cached: each read tries again)
    google_sheet([error(503, "backendError"), error(503, "backendError")])

    # When the site asks for the pricing tables, and the sync job runs
    tables = pricing.current_pricing_tabs()
    assert pricing.sync_pricing_sheet() == 0

    # Then it gets the database's, says why, and the prices are untouched
    assert tables.source == "database"
    assert "503" in tables.error
    assert tables.tabs == pricing.export_pricing_tabs()
    assert ("deep-tissue", 60, Decimal("180.00")) in prices()


def test_an_invalid_google_sheet_imports_nothing(example_spa, frozen_now, google_sheet, snapshot):
    tabs = json.loads(json.dumps(pricing.export_pricing_tabs()))
    row, number = row_of(tabs, "Massage", "deep-tissue", 90)
    row[column(tabs, "Massage", "Non-member")] = "free"
    google_sheet([sheet_titles(), value_ranges(tabs)])
    before = snapshot()

    with pytest.raises(SpaFileError) as raised:
        pricing.import_from_google()

    assert raised.value.messages[0].startswith(
        f"Google Sheet {SHEET_ID}:Massage!C{number}: Deep Tissue Massage, 90 min: "
        'column "Non-member"'
    )
    assert snapshot() == before


def test_a_round_trip_keeps_the_catalog_order_it_does_not_hold(spa, snapshot):
    # Given a catalog whose services share a position (made on the manager's pages)
    before = snapshot()

    # When its pricing workbook is uploaded unchanged
    tabs = pricing.export_pricing_tabs()
    report = pricing.import_pricing_tabs(upload(tabs), filename="prices.xlsx")

    # Then nothing changed, not even the services' order
    assert report.summary() == "nothing to change: the database already matches the file"
    assert snapshot() == before
