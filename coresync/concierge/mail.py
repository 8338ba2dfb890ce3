"""The concierge's emails to the member, one per change (topic ``concierge.email``)."""

from coresync.accounts.models import User
from coresync.concierge.models import ConciergeRequest, RequestStatus
from coresync.concierge.services import TOPIC_CONCIERGE_EMAIL
from coresync.core.money import format_amount
from coresync.notifications.models import OutboxMessage
from coresync.notifications.outbox import outbox_handler
from coresync.notifications.plain_mail import send_plain_email
from coresync.spa.selectors import get_settings

SUBJECTS = {
    "received": "We have your request {reference}",
    "approved": "Your request {reference} is approved",
    "declined": "About your request {reference}",
    "processing": "We are finding {title}",
    "ready": "{title} is ready for pickup",
    "completed": "Thank you for picking up {title}",
    "cancelled": "Your request {reference} is cancelled",
}

LINES = {
    "received": "Our concierge will answer within 24 hours.",
    "approved": "Our concierge accepted it and will start looking shortly.",
    "declined": "We are sorry: we cannot take this request on. {reason}",
    "processing": "Our concierge is on it.",
    "ready": "It waits for you at the front desk{cost}.",
    "completed": "We hope you enjoy it.",
    "cancelled": "It is cancelled; nothing will be bought.",
}


@outbox_handler(TOPIC_CONCIERGE_EMAIL)
def deliver_concierge_email(message: OutboxMessage) -> None:
    """Send the member the news of ``message``'s request (its ``kind`` is the change)."""
    kind = message.payload.get("kind", "")
    if kind == "overdue_report":
        _overdue_report(message)
        return
    if kind not in SUBJECTS:
        raise ValueError(f"Unknown concierge email {kind!r}.")
    request = (
        ConciergeRequest.objects.select_related("member")
        .filter(pk=message.payload.get("request_id"))
        .first()
    )
    if request is None:
        return
    words = {
        "reference": request.reference,
        "title": request.title,
        "reason": request.decline_reason,
        "cost": f" (${format_amount(request.actual_cost)})" if request.actual_cost else "",
    }
    spa = get_settings()
    text = (
        f"Hello {request.member.get_short_name()},\n\n"
        f"{LINES[kind].format(**words)}\n\n"
        f"{request.reference}: {request.title}\n"
        f"Pickup on {request.pickup_date:%A %d %B %Y} at {spa.name}.\n"
    )
    send_plain_email(
        message,
        request.member,
        kind=f"concierge_{kind}",
        subject=SUBJECTS[kind].format(**words),
        text=text,
    )


def _overdue_report(message: OutboxMessage) -> None:
    """The managers' daily list of requests still waiting past their review target."""
    manager = User.objects.filter(pk=message.payload.get("manager_id"), is_active=True).first()
    rows = ConciergeRequest.objects.filter(
        pk__in=message.payload.get("request_ids", []), status=RequestStatus.PENDING
    ).select_related("member")
    if manager is None or not rows:
        return
    lines = "\n".join(
        f"  {row.reference}  {row.title} ({row.member.name}), "
        f"due {row.review_due_at:%Y-%m-%d %H:%M} UTC"
        for row in rows
    )
    send_plain_email(
        message,
        manager,
        kind="concierge_overdue_report",
        subject=f"{len(rows)} concierge request(s) waiting past 24 hours",
        text=(
            f"Hello {manager.get_short_name()},\n\n"
            f"These requests still wait for an answer:\n\n{lines}\n"
        ),
    )
