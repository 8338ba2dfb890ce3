"""A spa's entries from a spreadsheet (a pricing sheet), checked by the spa file's models.

One tab per list section of the spa file (``categories``, ``services``, ``addons``, ``plans``…),
a first row of keys, then one row per entry; an empty cell is an absent key. A problem is
placed by tab, row and column (spreadsheet notation) instead of line::

    prices.xlsx:services!E3: services[1] (slug "hot-towel-shave"): field "price": …

Cells hold what the file's keys hold: text, whole numbers, ``true``/``false``; a list or a
mapping is written as in the file, ``[60, 90]`` or ``{"60": "180.00"}``. A decimal number
(as a spreadsheet stores ``180.00``) is read as the text ``"180.00"``, or with its own
decimals if it has more than two (``0.08875``).

:func:`parse_sheet` takes the rows as a spreadsheet library gives them (openpyxl's
``worksheet.iter_rows(values_only=True)``), so this module reads no file format itself.
"""

from decimal import Decimal
from typing import Any

from coresync.spafile import yaml_io
from coresync.spafile.schema import Source, SpaDocument, check_document


def sheet_cell(value: Any) -> Any:
    """A cell's value as the spa file's: a decimal number as text (``180.0`` → ``"180.00"``,
    more decimals kept), a list or mapping written as in the file read as one."""
    if isinstance(value, float):
        number = Decimal(repr(value))
        return f"{number:.2f}" if number.as_tuple().exponent >= -2 else format(number, "f")
    if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
        return yaml_io.load(value)[0]
    return value


def column_letter(index: int) -> str:
    """0 → ``A``, 26 → ``AA``."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


class SheetSource(Source):
    """The rows of each tab as a spa file's sections; places are ``tab!C4``."""

    def __init__(self, tabs: dict[str, list[list[Any]]], filename: str) -> None:
        data: dict[str, list[dict[str, Any]]] = {}
        self.columns: dict[str, dict[str, int]] = {}
        for tab, rows in tabs.items():
            header = [str(key).strip() if key is not None else "" for key in (rows or [[]])[0]]
            self.columns[tab] = {key: index for index, key in enumerate(header) if key}
            data[tab] = [
                {
                    key: sheet_cell(value)
                    for key, value in zip(header, row, strict=False)
                    if key and value not in (None, "")
                }
                for row in rows[1:]
            ]
        self.tabs = list(tabs)
        super().__init__(data, filename)

    def _cell_of(self, loc: tuple) -> tuple[tuple, str]:
        tab = loc[0] if loc else ""
        if len(loc) < 2 or not isinstance(loc[1], int) or tab not in self.columns:
            return (self._tab_order(tab), 0, -1), str(tab)
        row = loc[1] + 2  # the first row holds the keys
        column = self.columns[tab].get(loc[2]) if len(loc) > 2 else None
        if column is None:
            return (self._tab_order(tab), row, -1), f"{tab}!{row}:{row}"
        return (self._tab_order(tab), row, column), f"{tab}!{column_letter(column)}{row}"

    def _tab_order(self, tab: Any) -> int:
        return self.tabs.index(tab) if tab in self.tabs else -1

    def place(self, loc: tuple) -> tuple[Any, str]:
        order, cell = self._cell_of(loc)
        return order, f"{self.filename}:{cell}"

    def short_place(self, loc: tuple) -> str:
        return self._cell_of(loc)[1]


def parse_sheet(tabs: dict[str, list[list[Any]]], *, filename: str) -> SpaDocument:
    """Check a spreadsheet's tabs as spa-file sections.

    Args:
        tabs: tab name (a section, e.g. ``services``) → its rows, the first one the keys.
        filename: how messages name the file (``prices.xlsx`` in ``prices.xlsx:services!E3``).

    Returns the :class:`SpaDocument` (import it with ``import_document``). Reads the
    database (references to existing rows) but never writes. Raises ``SpaFileError`` with
    every problem, each naming the file, the cell (or row, or tab), the entry and the field.
    """
    return check_document(SheetSource(tabs, filename))
