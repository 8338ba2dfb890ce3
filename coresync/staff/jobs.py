"""Scheduled payroll work and its email, run outside any request.

- :func:`close_pay_periods` (periodic, :mod:`coresync.notifications.schedule`): close every
  pay period that ended at least ``PAYROLL_CLOSE_AFTER_HOURS`` ago and is not closed yet —
  the latest, and those between it and the last closed one (at most
  :data:`MAX_PERIODS_PER_RUN`), so a scheduler that was down catches up.
- ``staff.payroll_email`` (outbox topic): the email of a closed period to one manager, with
  the XLSX export attached; written in the closing transaction, sent once (the email log
  records the send; a retry after a crash sends nothing twice).
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings

from coresync.accounts.models import User
from coresync.core.clock import now as clock_now
from coresync.notifications.channels import EMAIL, Attachment, Message
from coresync.notifications.delivery import send_logged_email, send_reference
from coresync.notifications.models import (
    FINAL_DELIVERY_STATUSES,
    DeliveryStatus,
    EmailLog,
    OutboxMessage,
)
from coresync.notifications.outbox import outbox_handler
from coresync.spa.selectors import get_settings
from coresync.staff.errors import InvalidTransition
from coresync.staff.exports import XLSX_CONTENT_TYPE, filename, payroll_xlsx
from coresync.staff.models import PayPeriod
from coresync.staff.periods import PeriodSpan, period_containing, previous_period
from coresync.staff.selectors import payroll_report
from coresync.staff.services import PAYROLL_EMAIL_TOPIC, close_pay_period

logger = logging.getLogger(__name__)

MAX_PERIODS_PER_RUN = 5
PAYROLL_EMAIL = "payroll_closed"


def periods_due(now: datetime) -> list[PeriodSpan]:
    """Return the periods to close at ``now``, oldest first: ended at least
    ``PAYROLL_CLOSE_AFTER_HOURS`` ago and not closed, going back from the latest such period
    until a closed one (or :data:`MAX_PERIODS_PER_RUN`). With no period ever closed, only the
    latest: a new installation does not close (and email) its whole past."""
    zone = get_settings().zone
    grace = timedelta(hours=settings.PAYROLL_CLOSE_AFTER_HOURS)
    latest = previous_period(period_containing(now - grace, zone), zone)
    closed = set(PayPeriod.objects.values_list("starts_at", flat=True))
    due = []
    span = latest
    while span.starts_at not in closed and len(due) < MAX_PERIODS_PER_RUN:
        due.append(span)
        if not closed:
            break
        span = previous_period(span, zone)
    return list(reversed(due))


def close_pay_periods(now: datetime | None = None) -> int:
    """Close the periods :func:`periods_due` names; return how many were closed. Safe to run
    twice at once: the second close of a period is refused by the unique start."""
    now = now or clock_now()
    closed = 0
    for span in periods_due(now):
        try:
            close_pay_period(span, actor=None, now=now)
        except InvalidTransition:
            logger.info("Pay period %s was closed meanwhile.", span.key)
            continue
        closed += 1
    return closed


@outbox_handler(PAYROLL_EMAIL_TOPIC)
def send_payroll_email(message: OutboxMessage) -> None:
    """Email a closed period's payroll (XLSX attached) to the manager the row names, once."""
    if EmailLog.objects.filter(outbox_message=message, status__in=FINAL_DELIVERY_STATUSES).exists():
        return
    period = PayPeriod.objects.filter(pk=message.payload.get("period_id")).first()
    user = User.objects.filter(pk=message.payload.get("recipient_id"), is_active=True).first()
    if period is None or user is None or not user.email:
        EmailLog.objects.create(
            outbox_message=message,
            user=user,
            kind=PAYROLL_EMAIL,
            to=getattr(user, "email", "") or "",
            status=DeliveryStatus.SKIPPED,
            error="The pay period or the manager no longer exists.",
        )
        return
    spa = get_settings()
    zone = spa.zone
    report = payroll_report(PeriodSpan(period.starts_at, period.ends_at, *_days(period, zone)))
    start, end = period.starts_at.astimezone(zone), period.ends_at.astimezone(zone)
    subject = f"Payroll {start:%b} {start.day} – {end:%b} {end.day}, {end.year} (closed)"
    overtime = [row.technician_name for row in report.rows if row.overtime]
    waiting = [
        f"{row.technician_name} ({row.pending_entries})"
        for row in report.rows
        if row.pending_entries
    ]
    lines = [
        f"Hello {user.get_short_name()},",
        "",
        f"The pay period {start:%a %b %d %H:%M} – {end:%a %b %d %H:%M} ({zone}) is closed; "
        "its totals are frozen. The spreadsheet is attached.",
        "",
        f"Approved hours: {report.total_hours:.2f}",
        f"Gross pay: ${report.total_pay:,.2f}",
        f"Services: {report.total_services} (revenue ${report.total_revenue:,.2f})",
    ]
    if overtime:
        lines.append(f"Overtime: {', '.join(overtime)}")
    if waiting:
        lines.append(f"Not approved before closing (not paid): {', '.join(waiting)}")
    lines += ["", f"— {spa.name}"]
    text = "\n".join(lines)
    outgoing = Message(
        to=user.email,
        subject=subject,
        text=text,
        attachments=(
            Attachment(
                filename=filename(report, "xlsx"),
                content=payroll_xlsx(report, spa_name=spa.name, zone=zone),
                mimetype=XLSX_CONTENT_TYPE,
            ),
        ),
        reference=send_reference(message, EMAIL),
    )
    send_logged_email(message, outgoing, user=user, kind=PAYROLL_EMAIL)


def _days(period: PayPeriod, zone) -> tuple:
    return period.starts_at.astimezone(zone).date(), period.ends_at.astimezone(zone).date()
