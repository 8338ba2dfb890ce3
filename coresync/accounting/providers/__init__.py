"""Accounting providers, chosen by ``QUICKBOOKS_PROVIDER``: ``offline`` (the default; the
ledger is the only record, nothing leaves the machine) and ``quickbooks`` (Intuit's API)."""

from django.conf import settings
from django.utils.module_loading import import_string

from coresync.accounting.providers.base import AccountingProvider, RemoteReceipt

PROVIDERS = {
    "offline": "coresync.accounting.providers.offline.OfflineProvider",
    "quickbooks": "coresync.accounting.providers.quickbooks.QuickBooksProvider",
}


def get_provider(name: str | None = None) -> AccountingProvider:
    """Return the provider named ``name`` (default: ``QUICKBOOKS_PROVIDER``).

    Raises:
        KeyError: an unknown name.
    """
    return import_string(PROVIDERS[name or settings.QUICKBOOKS_PROVIDER])()


__all__ = ["AccountingProvider", "RemoteReceipt", "get_provider"]
