"""The jobs of accounting: the outbox handlers (sending a receipt, the report email) and the
periodic jobs of :mod:`coresync.accounting.schedule`."""

from coresync.accounting import reconciliation, services
from coresync.accounting.models import ReconciliationRun
from coresync.accounts.models import User
from coresync.notifications.models import OutboxMessage
from coresync.notifications.outbox import dispatch_due, outbox_handler
from coresync.notifications.plain_mail import send_plain_email


@outbox_handler(services.TOPIC_SEND_RECEIPT)
def send_receipt(message: OutboxMessage) -> None:
    """Send one ledger receipt version (:func:`coresync.accounting.services.send_receipt`)."""
    services.send_receipt(message.payload)


@outbox_handler(reconciliation.TOPIC_REPORT_EMAIL)
def send_report_email(message: OutboxMessage) -> None:
    """Email a reconciliation run's findings to one recipient (one row per recipient)."""
    run = ReconciliationRun.objects.filter(pk=message.payload.get("run")).first()
    user = User.objects.filter(pk=message.payload.get("user"), is_active=True).first()
    if run is None or user is None:
        return
    send_plain_email(
        message,
        user,
        kind="accounting_reconciliation",
        subject=f"QuickBooks reconciliation {run.day.isoformat()}: "
        f"{run.mismatches.count()} difference(s)",
        text=reconciliation.report_text(run),
    )


def sync_quickbooks() -> int:
    """The hourly batch: record every movement not in the ledger yet and send what is queued
    now (the outbox dispatcher would within seconds; this makes the batch whole on its
    own). Return how many were recorded."""
    recorded = services.collect_pending()
    dispatch_due(topics=[services.TOPIC_SEND_RECEIPT])
    return recorded


def reconcile_yesterday() -> int:
    """The nightly reconciliation of the previous spa-local day."""
    return reconciliation.reconcile_yesterday()
