"""The pricing tables as a spreadsheet (SPEC §1, §12): the ``services`` tab (one row per
service with its durations, non-member prices and per-tier prices; sorted by category) and
the ``plans`` tab (the membership tiers), exported to a Google Sheet or an XLSX file and
imported back.

The tabs are spa-file sections, so an import is checked by the spa file's own models
(:func:`coresync.spafile.sheet.parse_sheet`): every problem names the tab, row and column,
and nothing is written unless the whole sheet is valid (one transaction,
:func:`coresync.spafile.importer.import_document`). A cell holding a list or a mapping is
written as in the file: ``[60, 90]``, ``{"60": "180.00", "90": "250.00"}``, tier prices
``{"base": {"60": "120.00"}}``.

Reading the Google Sheet goes through a short cache (``PRICING_SHEET_CACHE_SECONDS``); when
Google cannot be reached the database's tables are used (:func:`current_pricing_tabs`).
"""

import hashlib
import io
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache

from coresync.core.clock import now as clock_now
from coresync.googlesync.errors import GoogleError
from coresync.googlesync.providers import get_sheets_provider
from coresync.spafile.exporter import export_sections
from coresync.spafile.importer import ImportReport, import_document
from coresync.spafile.schema import Plan, ServiceEntry, SpaFileError
from coresync.spafile.sheet import parse_sheet

logger = logging.getLogger(__name__)

PRICING_TABS = ("services", "plans")
COLUMNS = {
    "services": [info.alias or name for name, info in ServiceEntry.model_fields.items()],
    "plans": [info.alias or name for name, info in Plan.model_fields.items()],
}
CACHE_KEY = "pricing-sheet:google"
IMPORTED_KEY = "pricing-sheet:imported-digest"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Tabs = dict[str, list[list[Any]]]


def _cell(value: Any) -> Any:
    if isinstance(value, list | dict):
        return json.dumps(value)
    return value


def export_pricing_tabs(*, now: datetime | None = None) -> Tabs:
    """Return the database's pricing tables as tabs: a header row of spa-file keys, then one
    row per service (by category) or plan; money as strings with two decimals."""
    sections = export_sections(*PRICING_TABS, now=now)
    tabs: Tabs = {}
    for tab in PRICING_TABS:
        header = COLUMNS[tab]
        rows = [list(header)]
        for entry in sections[tab]:
            values = entry.model_dump(mode="json", by_alias=True, exclude_unset=True)
            rows.append([_cell(values.get(key)) for key in header])
        tabs[tab] = rows
    return tabs


def import_pricing_tabs(tabs: Tabs, *, filename: str, now: datetime | None = None) -> ImportReport:
    """Check ``tabs`` with the spa file's models and write them, all or nothing.

    Raises:
        SpaFileError: every problem, each naming ``filename``, the tab, row and column; the
            database is unchanged.
    """
    document = parse_sheet(tabs, filename=filename)
    report = import_document(document, now=now or clock_now())
    cache.delete(CACHE_KEY)
    return report


def tabs_digest(tabs: Tabs) -> str:
    """Return a hash of ``tabs``' content (to tell an edited sheet from the last import)."""
    return hashlib.sha256(json.dumps(tabs, sort_keys=True, default=str).encode()).hexdigest()


# -- XLSX ------------------------------------------------------------------------------------


def read_xlsx(data: bytes) -> Tabs:
    """Return the tabs of an XLSX workbook (values, not formulas).

    Raises:
        SpaFileError: the file is not a readable XLSX workbook.
    """
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 - openpyxl raises many types for a bad file
        raise SpaFileError(
            [f"the file is not an XLSX workbook ({error.__class__.__name__})"]
        ) from None
    try:
        return {
            sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)]
            for sheet in workbook.worksheets
        }
    finally:
        workbook.close()


def write_xlsx(tabs: Tabs) -> bytes:
    """Return ``tabs`` as an XLSX workbook, one worksheet per tab."""
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for tab, rows in tabs.items():
        sheet = workbook.create_sheet(tab)
        for row in rows:
            sheet.append(row)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


# -- Google Sheets ---------------------------------------------------------------------------


def export_to_google(*, now: datetime | None = None) -> None:
    """Write the database's pricing tables to the Google Sheet ``GOOGLE_PRICING_SHEET_ID``.

    Raises:
        GoogleError: no sheet configured, or Google refused / did not answer.
    """
    if not settings.GOOGLE_PRICING_SHEET_ID:
        raise GoogleError("GOOGLE_PRICING_SHEET_ID is not set.", permanent=True)
    tabs = export_pricing_tabs(now=now)
    get_sheets_provider().write_tabs(settings.GOOGLE_PRICING_SHEET_ID, tabs)
    cache.set(CACHE_KEY, tabs, settings.PRICING_SHEET_CACHE_SECONDS)


def read_google_tabs() -> Tabs:
    """Return the Google Sheet's pricing tabs, from the cache when read less than
    ``PRICING_SHEET_CACHE_SECONDS`` ago.

    Raises:
        GoogleError: no sheet configured, or Google unreachable.
    """
    if not settings.GOOGLE_PRICING_SHEET_ID:
        raise GoogleError("GOOGLE_PRICING_SHEET_ID is not set.", permanent=True)
    tabs = cache.get(CACHE_KEY)
    if tabs is None:
        tabs = get_sheets_provider().read_tabs(settings.GOOGLE_PRICING_SHEET_ID, list(PRICING_TABS))
        cache.set(CACHE_KEY, tabs, settings.PRICING_SHEET_CACHE_SECONDS)
    return tabs


@dataclass(frozen=True)
class PricingTables:
    """The pricing tabs and where they come from: ``google`` or ``database`` (the fallback,
    with ``error`` saying why Google was not used)."""

    tabs: Tabs
    source: str
    error: str = ""


def current_pricing_tabs() -> PricingTables:
    """Return the pricing tables from the Google Sheet (cached), or from the database when
    no sheet is configured or Google cannot be reached."""
    if not settings.GOOGLE_PRICING_SHEET_ID:
        return PricingTables(export_pricing_tabs(), "database")
    try:
        return PricingTables(read_google_tabs(), "google")
    except GoogleError as error:
        logger.warning("Pricing sheet unreachable, using the database: %s", error)
        return PricingTables(export_pricing_tabs(), "database", str(error))


def import_from_google(*, now: datetime | None = None, force: bool = False) -> ImportReport | None:
    """Import the Google Sheet's pricing tables if they changed since the last import (or
    ``force``); return the report, or ``None`` when there was nothing new.

    Raises:
        GoogleError: Google unreachable (the database keeps its prices).
        SpaFileError: the sheet is invalid (nothing written).
    """
    tabs = read_google_tabs()
    digest = tabs_digest(tabs)
    if not force and cache.get(IMPORTED_KEY) == digest:
        return None
    report = import_pricing_tabs(
        tabs, filename=f"Google Sheet {settings.GOOGLE_PRICING_SHEET_ID}", now=now
    )
    cache.set(IMPORTED_KEY, digest, None)
    cache.set(CACHE_KEY, tabs, settings.PRICING_SHEET_CACHE_SECONDS)
    return report


def sync_pricing_sheet() -> int:
    """The periodic job: import the Google Sheet when it changed; 1 if imported, else 0.
    Google down or an invalid sheet leaves the database's prices as they are (logged)."""
    if not settings.GOOGLE_PRICING_SHEET_ID:
        return 0
    try:
        return int(import_from_google() is not None)
    except (GoogleError, SpaFileError) as error:
        logger.warning("Pricing sheet not imported: %s", error)
        return 0
