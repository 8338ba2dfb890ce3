"""Reads of the accounting pages."""

from django.db.models import Q

from coresync.accounting.models import LedgerReceipt, ReceiptStatus, ReconciliationRun


def receipts_needing_attention(limit: int = 50):
    """Return receipts QuickBooks refused or that wait after a failed try, newest first."""
    return LedgerReceipt.objects.filter(
        Q(status=ReceiptStatus.FAILED) | Q(status=ReceiptStatus.PENDING, attempts__gt=0)
    ).order_by("-updated_at")[:limit]


def ledger_counts() -> dict[str, int]:
    """Return how many receipts are in each status."""
    return {
        status: LedgerReceipt.objects.filter(status=status).count()
        for status in ReceiptStatus.values
    }


def latest_runs(limit: int = 14):
    """Return the latest reconciliation runs with their mismatches, newest first."""
    return ReconciliationRun.objects.prefetch_related("mismatches")[:limit]
