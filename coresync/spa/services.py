"""Spa-wide services: reference numbers."""

from datetime import datetime

from coresync.core.clock import local_date
from coresync.spa.models import IssuedNumber
from coresync.spa.selectors import get_settings


def issue_reference(prefix: str, at: datetime) -> str:
    """Return a new unique reference ``PREFIX-YYYY-NNNNNN`` (e.g. ``CS-2026-000042``).

    ``YYYY`` is the spa-local year of ``at`` (aware); ``NNNNNN`` comes from a database
    auto-increment, zero-padded to six digits (more digits once past 999,999). Numbers are
    unique and may have gaps (SPEC facts: "gap-tolerant, never computed as count()+1").
    """
    number = IssuedNumber.objects.create(prefix=prefix).pk
    year = local_date(at, get_settings().zone).year
    return f"{prefix}-{year}-{number:06d}"
