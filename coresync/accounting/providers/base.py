"""The interface every accounting provider implements."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class RemoteReceipt:
    """A receipt as the accounting system holds it: its id, the CoreSync entity it was sent
    for (read back from its memo; ``""`` if none), ``kind`` (``sales``/``refund``) and total
    in dollars."""

    id: str
    entity: str
    kind: str
    total: Decimal


class AccountingProvider:
    """Send receipts and list them back. Implementations set explicit timeouts and raise
    :class:`~coresync.accounting.errors.AccountingError` (``permanent`` for a refusal)."""

    name = ""

    def send_receipt(
        self, document: dict[str, Any], *, request_id: str, existing_id: str = ""
    ) -> str:
        """Create the receipt of ``document`` (:mod:`coresync.accounting.documents`), or
        replace ``existing_id`` with it; return the provider's id. The same ``request_id``
        sent twice must not create two receipts."""
        raise NotImplementedError

    def receipts_for_day(self, day: date) -> list[RemoteReceipt]:
        """Return every sales and refund receipt dated ``day`` (the spa's local date)."""
        raise NotImplementedError
