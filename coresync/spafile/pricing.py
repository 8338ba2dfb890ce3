"""The pricing tables as a spreadsheet (SPEC §1, §12), laid out for a spa owner to edit, exported
to a Google Sheet or an XLSX file and imported back (docs/google.md, "Pricing sheet").

Tabs:

- one per service category, titled with the category's name (``Massage``); columns
  ``Service | Duration (min) | Non-member | <one per membership tier> | Slug``, one row per
  service duration; prices are amounts ``180.00``; an empty tier cell means "no tier price"
  (the plan's discount applies). ``Slug`` names the service unambiguously; when it is empty
  the ``Service`` cell is matched against the services' names.
- ``Membership tiers``: one row per plan, ``Slug | Name | Tier | Monthly price | Discount (%)
  | Advance days | Included credits``.

An import turns the tabs into the spa file's ``services`` and ``plans`` entries — the fields
the sheet does not hold (a service's skill, room types, buffers…; a plan's benefits, policy…)
are taken from the database — and checks them with the spa file's models, so the field rules
are the file's (amounts with two decimals, durations, slugs). Every problem names the file,
tab, row and column (``prices.xlsx:Massage!C4: Deep Tissue Massage, 60 min: column
"Non-member": …``) and nothing is written unless the whole sheet is valid (one transaction,
:func:`coresync.spafile.importer.import_document`). The sheet changes prices only: a service
or a duration left out of it keeps its prices; services, durations and plans are not added,
removed or moved between categories by it.

Reading the Google Sheet goes through a short cache (``PRICING_SHEET_CACHE_SECONDS``); when
Google cannot be reached the database's tables are used (:func:`current_pricing_tabs`).
"""

import hashlib
import io
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache

from coresync.catalog.models import Service, ServiceCategory
from coresync.core import readers as read
from coresync.core.clock import now as clock_now
from coresync.core.readers import FieldError, describe, error_path
from coresync.googlesync.errors import GoogleError
from coresync.googlesync.providers import get_sheets_provider
from coresync.memberships.models import PLAN_TIERS, MembershipPlan, TierPrice
from coresync.spafile.exporter import export_sections
from coresync.spafile.importer import ImportReport, import_document
from coresync.spafile.schema import Issue, Source, SpaFileError, check_document
from coresync.spafile.sheet import column_letter, sheet_cell

logger = logging.getLogger(__name__)

TIERS_TAB = "Membership tiers"
SERVICE, DURATION, NON_MEMBER, SLUG = "Service", "Duration (min)", "Non-member", "Slug"
# The Membership tiers tab: (heading, the spa file's plan key, what a cell holds).
PLAN_COLUMNS = (
    (SLUG, "slug", "text"),
    ("Name", "name", "text"),
    ("Tier", "tier", "text"),
    ("Monthly price", "monthly_price", "amount"),
    ("Discount (%)", "discount_percent", "number"),
    ("Advance days", "advance_days", "number"),
    ("Included credits", "included_credits", "number"),
)
CACHE_KEY = "pricing-sheet:google"
IMPORTED_KEY = "pricing-sheet:imported-digest"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Characters a spreadsheet does not allow in a tab's title (Excel and Google alike).
_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\']")
_TITLE_MAX = 31

Tabs = dict[str, list[list[Any]]]


# -- the layout ------------------------------------------------------------------------------


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _fold(heading: Any) -> str:
    """A heading as compared: trimmed, case-insensitive."""
    return " ".join(str(heading).split()).casefold() if heading is not None else ""


def _tab_title(name: str) -> str:
    return _TITLE_FORBIDDEN.sub("", name).strip()[:_TITLE_MAX].strip()


@dataclass
class _Layout:
    """The tabs and columns the database's catalog and plans give: category tab titles and
    the tier columns, each with its heading."""

    categories: dict[str, ServiceCategory]  # tab title → category, in catalog order
    tiers: list[tuple[str, str]]  # (tier, heading), in tier order
    tier_names: dict[str, str] = field(default_factory=dict)  # folded name → tier

    @classmethod
    def load(cls) -> "_Layout":
        """Read the categories and plans (two queries and one for the tiers with prices)."""
        categories: dict[str, ServiceCategory] = {}
        for category in ServiceCategory.objects.all():
            title = _tab_title(category.name) or category.slug
            if _fold(title) in {_fold(t) for t in (*categories, TIERS_TAB)}:
                title = category.slug
            categories[title] = category
        plans = list(MembershipPlan.objects.all())
        used = {plan.tier for plan in plans} | set(
            TierPrice.objects.order_by().values_list("tier", flat=True).distinct()
        )
        tiers, tier_names = [], {}
        for tier in PLAN_TIERS:
            of_tier = [plan for plan in plans if plan.tier == tier.value]
            shown = [plan.name for plan in of_tier if plan.is_active] or [p.name for p in of_tier]
            heading = " / ".join(shown) or str(tier.label)
            if tier.value in used:
                tiers.append((tier.value, heading))
            # A column may be headed with the tier's code or label, or a plan's name; a tier
            # with no plan yet may be given a column too.
            for name in (heading, *(plan.name for plan in of_tier), tier.label, tier.value):
                tier_names.setdefault(_fold(name), tier.value)
        return cls(categories, tiers, tier_names)

    def category_header(self) -> list[str]:
        return [SERVICE, DURATION, NON_MEMBER, *(heading for _, heading in self.tiers), SLUG]

    def category_of_tab(self, title: str) -> ServiceCategory | None:
        """The category a tab is about: its title is the category's tab title, name or slug
        (case-insensitive)."""
        wanted = _fold(title)
        for tab, category in self.categories.items():
            if wanted in (_fold(tab), _fold(category.name), _fold(category.slug)):
                return category
        return None


def export_pricing_tabs(*, now: datetime | None = None) -> Tabs:
    """Return the database's pricing tables as tabs (tab title → rows, the first the
    headings): one tab per category, one row per service duration, amounts as strings with
    two decimals, durations as whole minutes, an empty tier cell as ``""``; then the
    ``Membership tiers`` tab."""
    layout = _Layout.load()
    sections = export_sections("services", "plans", now=now)
    services = [
        entry.model_dump(mode="json", by_alias=True, exclude_unset=True)
        for entry in sections["services"]
    ]
    tabs: Tabs = {}
    for title, category in layout.categories.items():
        rows = [layout.category_header()]
        for service in services:
            if service["category"] != category.slug:
                continue
            prices = _price_table(service)
            for minutes in service["durations"]:
                key = str(minutes)
                tier_cells = [
                    service.get("tier_prices", {}).get(tier, {}).get(key, "")
                    for tier, _ in layout.tiers
                ]
                rows.append([service["name"], minutes, prices[key], *tier_cells, service["slug"]])
        tabs[title] = rows
    plan_rows = [[heading for heading, _, _ in PLAN_COLUMNS]]
    for plan in sections["plans"]:
        values = plan.model_dump(mode="json", by_alias=True)
        plan_rows.append([values[key] for _, key, _ in PLAN_COLUMNS])
    tabs[TIERS_TAB] = plan_rows
    return tabs


def _price_table(service: dict[str, Any]) -> dict[str, Any]:
    """A service entry's (JSON) prices as ``{"60": "180.00"}``, whether it has one ``price``
    or ``prices``."""
    if "prices" in service:
        return dict(service["prices"])
    return {str(minutes): service.get("price") for minutes in service["durations"]}


def pricing_tab_titles() -> list[str]:
    """Return the titles of the tabs an export writes (categories, then the tiers tab)."""
    return [*_Layout.load().categories, TIERS_TAB]


# -- reading the tabs back ------------------------------------------------------------------


@dataclass(frozen=True)
class _Cell:
    """A place in the sheet: ``row`` 1-based (None: the whole tab), ``column`` 0-based
    (None: the whole row); ``label`` names the row's entry in messages."""

    tab: str
    row: int | None = None
    column: int | None = None
    label: str = ""


_SHEET = "sheet"  # first part of the loc of a problem found in the sheet's layout


class PricingSheetSource(Source):
    """The spa-file sections made of the pricing tabs, placing each problem at the cell its
    value came from: ``prices.xlsx:Massage!C4``, ``prices.xlsx:'Membership tiers'!D3``."""

    def __init__(self, data: dict[str, Any], filename: str, tabs: Tabs) -> None:
        super().__init__(data, filename)
        self.headers = {tab: list(rows[0]) if rows else [] for tab, rows in tabs.items()}
        self.tab_order = list(tabs)
        self.cells: dict[tuple, _Cell] = {}

    def cell(self, loc: tuple) -> tuple[_Cell | None, tuple]:
        """The cell of ``loc`` (or of its nearest part the sheet holds) and the rest of
        ``loc`` below it."""
        if loc and loc[0] == _SHEET:
            return loc[1], ()
        for size in range(len(loc), 0, -1):
            if loc[:size] in self.cells:
                return self.cells[loc[:size]], loc[size:]
        return None, loc

    def _reference(self, cell: _Cell) -> str:
        tab = (
            cell.tab
            if re.fullmatch(r"\w+", cell.tab)
            else "'{}'".format(cell.tab.replace("'", "''"))
        )
        if cell.row is None:
            return tab
        if cell.column is None:
            return f"{tab}!{cell.row}:{cell.row}"
        return f"{tab}!{column_letter(cell.column)}{cell.row}"

    def place(self, loc: tuple) -> tuple[Any, str]:
        cell, _ = self.cell(loc)
        if cell is None:
            return (-1, 0, -1), self.filename
        order = (
            self.tab_order.index(cell.tab) if cell.tab in self.tab_order else -1,
            cell.row or 0,
            -1 if cell.column is None else cell.column,
        )
        return order, f"{self.filename}:{self._reference(cell)}"

    def short_place(self, loc: tuple) -> str:
        cell, _ = self.cell(loc)
        return self._reference(cell) if cell else self.filename

    def where(self, loc: tuple, entry_level: bool) -> str:
        cell, rest = self.cell(loc)
        if cell is None:
            return super().where(loc, entry_level)
        parts = [cell.label] if cell.label else []
        header = self.headers.get(cell.tab, [])
        if cell.column is not None and cell.column < len(header):
            parts.append(f'column "{header[cell.column]}"')
        elif rest:
            parts.append(f'field "{error_path(rest)}"')
        return ": ".join(parts)


def _amount(value: Any) -> Any:
    """An amount cell as the spa file's text: a whole number a spreadsheet stores (``190``)
    as ``"190.00"``; a decimal number as :func:`sheet_cell` reads it (``180.5`` →
    ``"180.50"``); text as written, trimmed; an empty cell None. The amount's rule is the
    spa file's (``Money``)."""
    if _empty(value):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value}.00"
    if isinstance(value, float):
        return sheet_cell(value)
    return value.strip() if isinstance(value, str) else value


def _number(value: Any) -> Any:
    """A count, minutes or percent cell: ``60.0`` (a spreadsheet's number) or the text
    ``"60"`` as ``60``; other decimals as :func:`sheet_cell` reads them; an empty cell None."""
    if _empty(value):
        return None
    if isinstance(value, float):
        return int(value) if value.is_integer() else sheet_cell(value)
    if isinstance(value, str):
        text = value.strip()
        return int(text) if text.isascii() and text.isdigit() else text
    return value


def _text(value: Any) -> Any:
    if _empty(value):
        return None
    return value.strip() if isinstance(value, str) else value


_READ = {"amount": _amount, "number": _number, "text": _text}


class _SheetReader:
    """Turns pricing tabs into spa-file sections, noting where each value came from and the
    problems of the layout (unknown tab, column, service, duration; a duplicate row)."""

    def __init__(self, tabs: Tabs, filename: str) -> None:
        self.tabs = {str(tab): rows or [] for tab, rows in tabs.items()}
        self.layout = _Layout.load()
        self.source = PricingSheetSource({}, filename, self.tabs)
        self.issues: list[Issue] = []
        # (service slug, minutes) → where its row is, to name a row given twice
        self.first_rows: dict[tuple[str, int], str] = {}
        self.services = list(
            Service.objects.select_related("category").prefetch_related("variants")
        )

    def problem(self, cell: _Cell, message: str) -> None:
        self.issues.append(Issue((_SHEET, cell), message))

    def read(self) -> PricingSheetSource:
        """Return the source whose ``data`` holds the ``services`` (when a category tab was
        given) and ``plans`` (when the tiers tab was) sections, and note the problems."""
        exported = export_sections("services", "plans")
        services = [
            entry.model_dump(mode="json", by_alias=True, exclude_unset=True)
            for entry in exported["services"]
        ]
        plans = {
            entry.slug: entry.model_dump(mode="json", by_alias=True, exclude_unset=True)
            for entry in exported["plans"]
        }
        edits: dict[str, dict[str, tuple[_Cell, dict[str, tuple[Any, int]]]]] = {}
        category_tabs = 0
        data: dict[str, Any] = {}
        for tab, rows in self.tabs.items():
            if _fold(tab) == _fold(TIERS_TAB):
                data["plans"] = self._plans(tab, rows, plans)
            elif (category := self.layout.category_of_tab(tab)) is not None:
                category_tabs += 1
                self._category(tab, rows, category, edits)
            else:
                expected = ", ".join([*self.layout.categories, TIERS_TAB])
                self.problem(
                    _Cell(tab), f"unknown tab: not a category's name (tabs are {expected})"
                )
        if category_tabs:
            data["services"] = [
                self._service_entry(index, service, edits.get(service["slug"], {}))
                for index, service in enumerate(services)
            ]
        self.source.data = data
        return self.source

    def _columns(self, tab: str, header: list[Any], known: dict[str, str]) -> dict[str, int]:
        """Map each column's role (a key of ``known``'s values) to its index; note unknown
        and repeated headings. ``known``: folded heading → role."""
        columns: dict[str, int] = {}
        for index, heading in enumerate(header):
            if _empty(heading):
                continue
            role = known.get(_fold(heading))
            if role is None:
                self.problem(_Cell(tab, 1, index), "unknown column")
            elif role in columns:
                self.problem(_Cell(tab, 1, index), "this column is there twice")
            else:
                columns[role] = index
        return columns

    def _missing(self, tab: str, columns: dict[str, int], required: dict[str, str]) -> bool:
        """Note each required column (role → heading) the tab lacks; return whether any."""
        missing = [heading for role, heading in required.items() if role not in columns]
        for heading in missing:
            self.problem(_Cell(tab, 1), f'column "{heading}" is missing')
        return bool(missing)

    def _category(
        self,
        tab: str,
        rows: list[list[Any]],
        category: ServiceCategory,
        edits: dict[str, dict[str, tuple[_Cell, dict[str, tuple[Any, int]]]]],
    ) -> None:
        """Read a category tab's rows into ``edits``: service slug → minutes (as text) →
        (the row's cell, role → (cell value, column))."""
        if not rows:
            return
        known = {name: f"tier:{tier}" for name, tier in self.layout.tier_names.items()}
        known |= {_fold(SERVICE): "service", _fold(DURATION): "duration"}
        known |= {_fold(NON_MEMBER): "non_member", _fold(SLUG): "slug"}
        columns = self._columns(tab, rows[0], known)
        required = {"service": SERVICE, "duration": DURATION, "non_member": NON_MEMBER}
        if self._missing(tab, columns, required):
            return
        by_slug = {service.slug: service for service in self.services}
        by_name: dict[str, list[Service]] = {}
        for service in self.services:
            by_name.setdefault(_fold(service.name), []).append(service)
        first = self.first_rows
        for number, row in enumerate(rows[1:], start=2):
            cells = {
                role: row[index] if index < len(row) else None for role, index in columns.items()
            }
            if all(_empty(value) for value in cells.values()):
                continue
            service = self._service_of(tab, number, cells, columns, by_slug, by_name)
            if service is None:
                continue
            label = f"{service.name}"
            if service.category_id != category.pk:
                self.problem(
                    _Cell(tab, number, columns["service"], label),
                    f'{describe(service.name)} is in category "{service.category.name}", '
                    f'not "{category.name}" (the sheet does not move services)',
                )
                continue
            duration_cell = _Cell(tab, number, columns["duration"], label)
            try:
                minutes = read.minutes(_number(cells["duration"]))
            except FieldError as error:
                self.problem(duration_cell, error.message)
                continue
            durations = sorted(variant.minutes for variant in service.variants.all())
            if minutes not in durations:
                self.problem(
                    duration_cell,
                    f"{service.slug} has no {minutes}-minute variant (durations: {durations})",
                )
                continue
            if (service.slug, minutes) in first:
                self.problem(
                    duration_cell,
                    f"{service.name}, {minutes} min is listed twice (first on "
                    f"{first[service.slug, minutes]}); leave one row",
                )
                continue
            row_cell = _Cell(tab, number, None, f"{service.name}, {minutes} min")
            first[service.slug, minutes] = self.source.short_place((_SHEET, row_cell))
            values = {
                role: (cells[role], index)
                for role, index in columns.items()
                if role == "non_member" or role.startswith("tier:")
            }
            edits.setdefault(service.slug, {})[str(minutes)] = (row_cell, values)

    def _service_of(
        self,
        tab: str,
        number: int,
        cells: dict[str, Any],
        columns: dict[str, int],
        by_slug: dict[str, Service],
        by_name: dict[str, list[Service]],
    ) -> Service | None:
        """The service a row names: by its ``Slug`` cell, else by the ``Service`` cell (a
        service's name or slug); note the problem when there is none or several."""
        slug = _text(cells.get("slug"))
        if slug is not None:
            found = by_slug.get(str(slug))
            if found is None:
                self.problem(
                    _Cell(tab, number, columns["slug"]), f"unknown service {describe(slug)}"
                )
            return found
        name = _text(cells["service"])
        cell = _Cell(tab, number, columns["service"])
        if name is None:
            self.problem(cell, "the service is missing")
            return None
        matches = by_name.get(_fold(name), [])
        if not matches and str(name) in by_slug:
            matches = [by_slug[str(name)]]
        if len(matches) > 1:
            slugs = ", ".join(service.slug for service in matches)
            self.problem(
                cell, f"several services are named {describe(name)}: give the slug ({slugs})"
            )
            return None
        if not matches:
            self.problem(cell, f"unknown service {describe(name)}")
            return None
        return matches[0]

    def _service_entry(
        self,
        index: int,
        service: dict[str, Any],
        edits: dict[str, tuple[_Cell, dict[str, tuple[Any, int]]]],
    ) -> dict[str, Any]:
        """The service's spa-file entry: the database's, with the prices of the sheet's rows
        (an empty tier cell drops that tier price; a tier column left out keeps them)."""
        loc = ("services", index)
        prices = _price_table(service)
        tier_prices = {tier: dict(table) for tier, table in service.get("tier_prices", {}).items()}
        for minutes, (row_cell, values) in edits.items():
            self.source.cells.setdefault(loc, row_cell)
            for role, (value, column) in values.items():
                cell = _Cell(row_cell.tab, row_cell.row, column, row_cell.label)
                if role == "non_member":
                    # An empty cell is refused by the amount's rule, which then shows "".
                    amount = _amount(value)
                    prices[minutes] = "" if amount is None else amount
                    self.source.cells[(*loc, "prices", minutes)] = cell
                    continue
                tier = role.removeprefix("tier:")
                amount = _amount(value)
                if amount is None:
                    tier_prices.get(tier, {}).pop(minutes, None)
                else:
                    tier_prices.setdefault(tier, {})[minutes] = amount
                    self.source.cells[(*loc, "tier_prices", tier, minutes)] = cell
        entry = {key: value for key, value in service.items() if key not in ("price", "prices")}
        entry["prices"] = prices
        entry["tier_prices"] = {tier: table for tier, table in tier_prices.items() if table}
        return entry

    def _plans(
        self, tab: str, rows: list[list[Any]], plans: dict[str, dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """The plans of the tiers tab as spa-file entries: the database's, with the tab's
        columns."""
        if not rows:
            return []
        known = {_fold(heading): key for heading, key, _ in PLAN_COLUMNS}
        columns = self._columns(tab, rows[0], known)
        if self._missing(tab, columns, {"slug": SLUG}):
            return []
        kinds = {key: kind for _, key, kind in PLAN_COLUMNS}
        entries: list[dict[str, Any]] = []
        for number, row in enumerate(rows[1:], start=2):
            cells = {
                key: row[index] if index < len(row) else None for key, index in columns.items()
            }
            if all(_empty(value) for value in cells.values()):
                continue
            slug = _text(cells["slug"])
            if slug is None or str(slug) not in plans:
                message = (
                    "the plan's slug is missing"
                    if slug is None
                    else f"unknown plan {describe(slug)} (plans are added on the manager's pages)"
                )
                self.problem(_Cell(tab, number, columns["slug"]), message)
                continue
            label = f"plan {describe(slug)}"
            entry = dict(plans[str(slug)])
            loc = ("plans", len(entries))
            self.source.cells[loc] = _Cell(tab, number, None, label)
            for key, index in columns.items():
                value = _READ[kinds[key]](cells[key])
                if value is None:
                    entry.pop(key, None)
                else:
                    entry[key] = value
                self.source.cells[(*loc, key)] = _Cell(tab, number, index, label)
            entries.append(entry)
        return entries


def import_pricing_tabs(tabs: Tabs, *, filename: str, now: datetime | None = None) -> ImportReport:
    """Check the pricing tabs and write their prices, all or nothing.

    Args:
        tabs: tab title → rows (the first the headings), as :func:`read_xlsx` or the Google
            Sheet give them; the layout of :func:`export_pricing_tabs`.
        filename: how messages name the file (``prices.xlsx`` in ``prices.xlsx:Massage!C4``).
        now: the current instant (aware); the clock's when None.

    Returns the :class:`ImportReport`.

    Raises:
        SpaFileError: every problem, each naming ``filename``, the tab, row and column; the
            database is unchanged.
    """
    reader = _SheetReader(tabs, filename)
    source = reader.read()
    document = check_document(source, reader.issues)
    report = import_document(document, now=now or clock_now(), keep_positions=True)
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
    """Return ``tabs`` as an XLSX workbook, one worksheet per tab, the first row (the
    headings) bold and frozen, columns as wide as their longest cell."""
    import openpyxl
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for tab, rows in tabs.items():
        sheet = workbook.create_sheet(tab)
        for row in rows:
            sheet.append([None if value == "" else value for value in row])
        for cell in sheet[1] if rows else ():
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for index in range(max((len(row) for row in rows), default=0)):
            width = max(len(str(row[index])) for row in rows if index < len(row))
            sheet.column_dimensions[get_column_letter(index + 1)].width = min(width + 2, 60)
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
        tabs = get_sheets_provider().read_tabs(
            settings.GOOGLE_PRICING_SHEET_ID, pricing_tab_titles()
        )
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
