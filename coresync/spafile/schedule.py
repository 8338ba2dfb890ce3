"""The periodic jobs of the spa file (collected by :mod:`coresync.core.periodic`)."""

from datetime import timedelta

from django.conf import settings

from coresync.core.periodic import PeriodicJob


def periodic_jobs() -> tuple[PeriodicJob, ...]:
    """Import the Google pricing sheet when it changed, every cache lifetime (it does
    nothing without ``GOOGLE_PRICING_SHEET_ID``)."""
    return (
        PeriodicJob(
            "pricing-sheet-sync",
            "coresync.spafile.pricing.sync_pricing_sheet",
            timedelta(seconds=max(settings.PRICING_SHEET_CACHE_SECONDS, 60)),
        ),
    )
