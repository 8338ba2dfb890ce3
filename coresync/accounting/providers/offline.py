"""The offline accounting provider (the default): receipts are only recorded in the local
ledger; nothing leaves the machine. Its "remote" receipts are the ledger rows marked sent."""

from datetime import date
from typing import Any

from coresync.accounting.models import LedgerReceipt
from coresync.accounting.providers.base import AccountingProvider, RemoteReceipt


class OfflineProvider(AccountingProvider):
    name = "offline"

    def send_receipt(
        self, document: dict[str, Any], *, request_id: str, existing_id: str = ""
    ) -> str:
        return existing_id or f"offline-{document['doc_number']}"

    def receipts_for_day(self, day: date) -> list[RemoteReceipt]:
        return [
            RemoteReceipt(row.quickbooks_id, row.entity, row.kind, row.total)
            for row in LedgerReceipt.objects.filter(txn_date=day, sent_version__gt=0)
        ]
