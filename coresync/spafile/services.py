"""The spa file's public entry points. The spa file: a whole spa (settings, plans, catalog,
rooms, technicians, people, bookings) as one YAML file, read by ``manage.py import_spa`` and
written by ``manage.py export_spa``.

The format is that of ``../shared/spa-file-example.yaml`` (docs/spa-file.md):

- :func:`parse_spa_text` checks a file and returns a :class:`SpaDocument` or raises
  :class:`SpaFileError` listing every problem with its file, line, entry and field;
- :func:`import_spa_file` / :func:`import_spa_text` check, then write in one transaction;
- :func:`export_spa_text` writes the database back in the same format;
- :func:`parse_sheet` checks spreadsheet tabs of spa-file sections (tabs, rows, columns) with
  the same models; the owner's pricing sheet is :mod:`coresync.spafile.pricing`.
"""

from coresync.spafile.exporter import export_document, export_spa_text
from coresync.spafile.importer import (
    ImportReport,
    import_document,
    import_spa_file,
    import_spa_text,
)
from coresync.spafile.schema import SpaDocument, SpaFileError, parse_spa_text
from coresync.spafile.sheet import parse_sheet

__all__ = [
    "ImportReport",
    "SpaDocument",
    "SpaFileError",
    "export_document",
    "export_spa_text",
    "import_document",
    "import_spa_file",
    "import_spa_text",
    "parse_sheet",
    "parse_spa_text",
]
