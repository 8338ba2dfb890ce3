"""The pricing tables as a spreadsheet: XLSX upload and Google Sheet (recorded Google
answers), checked by the spa file's models, all or nothing, cached, with the database as the
fallback when Google is down."""

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


@pytest.fixture
def example_spa(example_text, frozen_now):
    import_spa_text(example_text, filename="spa.yaml")


def prices():
    return sorted(ServiceVariant.objects.values_list("service__slug", "minutes", "price"))


def cell_of(tabs, tab, slug, column):
    header = tabs[tab][0]
    row = next(row for row in tabs[tab][1:] if row[0] == slug)
    return row, header.index(column)


def test_xlsx_round_trip_changes_nothing_then_an_edited_price_is_imported(
    example_spa, frozen_now, snapshot
):
    # Given the pricing tables downloaded as XLSX
    data = pricing.write_xlsx(pricing.export_pricing_tabs())
    before = snapshot()

    # When the same workbook is uploaded: nothing changes
    pricing.import_pricing_tabs(pricing.read_xlsx(data), filename="prices.xlsx")
    assert snapshot() == before

    # When Deep Tissue 60 min becomes $190.00, the Premium price $110.00 and Base $159.00/month
    workbook = openpyxl.load_workbook(pricing.io.BytesIO(data))
    services = workbook["services"]
    header = [cell.value for cell in services[1]]
    for row in services.iter_rows(min_row=2):
        if row[0].value == "deep-tissue":
            row[header.index("prices")].value = '{"60": "190.00", "90": "250.00"}'
            row[header.index("tier_prices")].value = '{"premium": {"60": "110.00"}}'
    plans = workbook["plans"]
    plan_header = [cell.value for cell in plans[1]]
    for row in plans.iter_rows(min_row=2):
        if row[0].value == "base":
            row[plan_header.index("monthly_price")].value = "159.00"
    edited = pricing.io.BytesIO()
    workbook.save(edited)
    pricing.import_pricing_tabs(pricing.read_xlsx(edited.getvalue()), filename="prices.xlsx")

    # Then exactly those prices changed
    assert ("deep-tissue", 60, Decimal("190.00")) in prices()
    assert ("deep-tissue", 90, Decimal("250.00")) in prices()
    assert TierPrice.objects.get(service__slug="deep-tissue", tier="premium").price == Decimal(
        "110.00"
    )
    assert MembershipPlan.objects.get(slug="base").monthly_price == Decimal("159.00")


def test_a_sheet_with_a_bad_price_names_tab_row_and_column_and_changes_nothing(
    example_spa, snapshot
):
    # Given a sheet whose second service has a price without cents and a plan a bad fee
    tabs = pricing.export_pricing_tabs()
    row, column = cell_of(tabs, "services", "hot-towel-shave", "price")
    row[column] = "75.5"
    plan_row, plan_column = cell_of(tabs, "plans", "premium", "monthly_price")
    plan_row[plan_column] = "cheap"
    service_number = tabs["services"].index(row) + 1
    plan_number = tabs["plans"].index(plan_row) + 1
    data = pricing.write_xlsx(tabs)
    before = snapshot()

    # When it is uploaded
    with pytest.raises(SpaFileError) as raised:
        pricing.import_pricing_tabs(pricing.read_xlsx(data), filename="prices.xlsx")

    # Then each problem names the tab, the row and the column, and nothing was written
    messages = raised.value.messages
    assert any(
        message.startswith(
            f"prices.xlsx:services!E{service_number}: services[{service_number - 2}] "
            '(slug "hot-towel-shave"): field "price"'
        )
        for message in messages
    ), messages
    assert any(
        message.startswith(
            f"prices.xlsx:plans!H{plan_number}: plans[{plan_number - 2}] "
            '(slug "premium"): field "monthly_price"'
        )
        for message in messages
    ), messages
    assert snapshot() == before


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


def test_google_sheet_export_then_import_of_an_edit_with_a_short_cache(
    example_spa, frozen_now, google_sheet
):
    # When the tables are exported to the Google Sheet (the tabs exist already)
    http = google_sheet(
        [
            (
                200,
                {
                    "sheets": [
                        {"properties": {"title": "services"}},
                        {"properties": {"title": "plans"}},
                    ]
                },
            ),
            (200, {"clearedRanges": ["services", "plans"]}),
            (200, {"totalUpdatedCells": 40}),
        ]
    )
    pricing.export_to_google()
    written = http.requests[2][2]
    assert written["valueInputOption"] == "RAW"
    assert [item["range"] for item in written["data"]] == ["'services'!A1", "'plans'!A1"]
    assert written["data"][0]["values"][0][:5] == ["slug", "name", "category", "durations", "price"]

    # When the owner changes Deep Tissue 60 min to $200.00 in Google
    tabs = json.loads(json.dumps(pricing.export_pricing_tabs()))
    row, column = cell_of(tabs, "services", "deep-tissue", "prices")
    row[column] = '{"60": "200.00", "90": "250.00"}'
    cache.delete(pricing.CACHE_KEY)  # the cache lifetime has passed
    http = google_sheet(
        [(200, {"valueRanges": [{"values": tabs["services"]}, {"values": tabs["plans"]}]})]
    )
    assert pricing.sync_pricing_sheet() == 1

    # Then the price is imported, read once; the next run reads the cache and imports nothing
    assert ("deep-tissue", 60, Decimal("200.00")) in prices()
    assert len(http.requests) == 1
    assert "ranges=%27services%27" in http.requests[0][1]
    assert pricing.sync_pricing_sheet() == 0
    assert len(http.requests) == 1


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
    row, column = cell_of(tabs, "services", "deep-tissue", "prices")
    row[column] = '{"60": "free"}'
    google_sheet(
        [(200, {"valueRanges": [{"values": tabs["services"]}, {"values": tabs["plans"]}]})]
    )
    before = snapshot()

    with pytest.raises(SpaFileError) as raised:
        pricing.import_from_google()

    assert raised.value.messages[0].startswith(f"Google Sheet {SHEET_ID}:services!F")
    assert snapshot() == before
