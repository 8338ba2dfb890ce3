"""One plain-text email per outbox row, sent once and logged: what the apps above
notifications (accounts' password reset, the shop, the concierge) send from their own outbox
handlers, with their own words, without notifications having to know them. (An email with
attachments, such as the payroll export, builds its ``Message`` and calls
:func:`coresync.notifications.delivery.send_logged_email` itself.)"""

from coresync.notifications.channels import EMAIL, Message
from coresync.notifications.delivery import send_logged_email
from coresync.notifications.models import FINAL_DELIVERY_STATUSES, EmailLog, OutboxMessage


def already_sent(message: OutboxMessage) -> bool:
    """Tell whether the email of outbox row ``message`` went out already (a retry after a
    crash between the send and the row's completion)."""
    return EmailLog.objects.filter(
        outbox_message=message, status__in=FINAL_DELIVERY_STATUSES
    ).exists()


def send_plain_email(message: OutboxMessage, user, *, kind: str, subject: str, text: str) -> None:
    """Send ``subject``/``text`` to ``user``'s email for outbox row ``message``, once, and log
    it (:class:`~coresync.notifications.models.EmailLog`, kind ``kind``).

    The email's ``Message-ID`` comes from the row, so a server that got it before drops a
    duplicate. A failed send is logged and raised: the outbox retries it with backoff.
    """
    if already_sent(message):
        return
    outgoing = Message(
        to=user.email, subject=subject, text=text, reference=f"outbox-{message.pk}-{EMAIL}"
    )
    send_logged_email(message, outgoing, user=user, kind=kind)
