"""Delivery channels behind one interface: email (Django's mail API: SMTP, console, file or an
ESP through django-anymail), SMS and push (log-only by default).

A channel sends one rendered :class:`Message` and returns the provider's message id. It raises
:class:`~coresync.notifications.outbox.PermanentError` when retrying cannot help (the provider
refused the recipient or the request: a 4xx / SMTP 5xx) and any other exception when it can (a
timeout, a connection refused, a 5xx / SMTP 4xx). Channels never write logs or decide
opt-outs: :mod:`coresync.notifications.delivery` does, the same way for every channel.
"""

import logging
import smtplib
from dataclasses import dataclass, field
from email.mime.text import MIMEText
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils.module_loading import import_string

from coresync.notifications.outbox import PermanentError

logger = logging.getLogger(__name__)

EMAIL = "email"
SMS = "sms"
PUSH = "push"
CHANNELS = (EMAIL, SMS, PUSH)


@dataclass(frozen=True)
class Attachment:
    """A file to attach. ``method`` (``REQUEST``/``CANCEL``) marks an iCalendar invite."""

    filename: str
    content: bytes
    mimetype: str
    method: str = ""


@dataclass(frozen=True)
class Message:
    """A rendered notification for one recipient on one channel.

    ``to``: an email address, a phone number (E.164) or a user id (push). ``subject`` and
    ``html`` are used by email only; ``text`` is the plain-text body of every channel.
    ``reference``: a stable, globally unique id of this send (the outbox message and a keyed
    hash), used as the email ``Message-ID`` so a provider or mail server can drop a duplicate.
    ``headers``: extra email headers (``List-Unsubscribe`` of RFC 8058).
    """

    to: str
    subject: str
    text: str
    html: str = ""
    attachments: tuple[Attachment, ...] = field(default=())
    reference: str = ""
    headers: dict[str, str] = field(default_factory=dict)


class Channel:
    """Base class of delivery providers. Subclasses set ``name``/``provider`` and implement
    :meth:`send`."""

    name: str = ""
    provider: str = ""

    def send(self, message: Message) -> str:
        """Send ``message`` and return the provider's message id (may be empty).

        Raises:
            PermanentError: the provider refused it for good. Any other exception: retry.
        """
        raise NotImplementedError


class InviteEmail(EmailMultiAlternatives):
    """An email whose ``multipart/alternative`` also carries the invite as a
    ``text/calendar; method=…`` part (where Outlook looks for a meeting request), besides the
    ``.ics`` attachment that other clients offer to open."""

    calendar_parts: list[MIMEText]

    def _create_alternatives(self, msg):
        msg = super()._create_alternatives(msg)
        for part in getattr(self, "calendar_parts", []):
            msg.attach(part)
        return msg


def _calendar_part(attachment: Attachment, *, filename: str = "") -> MIMEText:
    part = MIMEText(attachment.content.decode("utf-8"), "calendar", "utf-8")
    part.set_param("method", attachment.method)
    if filename:
        part.add_header("Content-Disposition", "attachment", filename=filename)
    return part


def sending_domain() -> str:
    """Return the domain of ``DEFAULT_FROM_EMAIL`` (the right-hand side of Message-IDs)."""
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"


class EmailChannel(Channel):
    """Email through ``EMAIL_BACKEND`` (``EMAIL_URL`` / ``ANYMAIL_ESP``), HTML + text parts."""

    name = EMAIL

    @property
    def provider(self) -> str:  # type: ignore[override]
        return settings.EMAIL_BACKEND.rsplit(".", 2)[-2]

    def build(self, message: Message) -> EmailMultiAlternatives:
        """Return the Django email for ``message``: ``multipart/mixed`` of a
        ``multipart/alternative`` (text, HTML, and an invite's ``text/calendar; method=…``),
        then the attachments (the invite again as ``invite.ics``, a PDF). Headers:
        ``Message-ID`` ``<reference@sending domain>``, ``Reply-To`` (``EMAIL_REPLY_TO``, the
        desk) and the message's own (``List-Unsubscribe``)."""
        headers = dict(message.headers)
        if message.reference:
            headers["Message-ID"] = f"<{message.reference}@{sending_domain()}>"
        email = InviteEmail(
            subject=message.subject,
            body=message.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.to],
            reply_to=[settings.EMAIL_REPLY_TO] if settings.EMAIL_REPLY_TO else None,
            headers=headers,
        )
        email.calendar_parts = []
        if message.html:
            email.attach_alternative(message.html, "text/html")
        for attachment in message.attachments:
            if attachment.method:
                email.calendar_parts.append(_calendar_part(attachment))
                email.attach(_calendar_part(attachment, filename=attachment.filename))
            else:
                email.attach(attachment.filename, attachment.content, attachment.mimetype)
        return email

    def send(self, message: Message) -> str:
        # The SMTP backend applies EMAIL_TIMEOUT; Anymail backends their REQUESTS_TIMEOUT.
        email = self.build(message)
        try:
            email.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as error:
            raise PermanentError(f"Recipient refused: {error.recipients}") from error
        except smtplib.SMTPResponseException as error:
            if 500 <= error.smtp_code < 600:
                raise PermanentError(f"SMTP {error.smtp_code}: {error.smtp_error!r}") from error
            raise
        except Exception as error:
            _raise_permanent_for_anymail(error)
            raise
        anymail_status = getattr(email, "anymail_status", None)
        message_id = getattr(anymail_status, "message_id", None)
        return str(message_id) if message_id else email.extra_headers.get("Message-ID", "")


def _raise_permanent_for_anymail(error: Exception) -> None:
    """Turn an Anymail refusal (rejected recipients, an HTTP 4xx other than 429) into a
    :class:`PermanentError`; leave anything else to be retried."""
    try:
        from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
    except ImportError:  # pragma: no cover - anymail is a dependency
        return
    if isinstance(error, AnymailRecipientsRefused):
        raise PermanentError(str(error)) from error
    if isinstance(error, AnymailAPIError):
        status = getattr(error, "status_code", None)
        if status is not None and 400 <= status < 500 and status != 429:
            raise PermanentError(f"ESP HTTP {status}: {error}") from error


class LogOnlySMSChannel(Channel):
    """The offline SMS provider: sends nothing; the delivery log row is the record."""

    name = SMS
    provider = "log-only"

    def send(self, message: Message) -> str:
        logger.info("SMS (log only) to %s: %s", message.to, message.text)
        return ""


class LogOnlyPushChannel(Channel):
    """The offline push provider: sends nothing; the delivery log row is the record."""

    name = PUSH
    provider = "log-only"

    def send(self, message: Message) -> str:
        logger.info("Push (log only) to user %s: %s", message.to, message.text)
        return ""


def get_channel(name: str) -> Channel:
    """Return the configured provider of channel ``name`` (``email``, ``sms``, ``push``).

    Raises:
        ValueError: an unknown channel name.
    """
    if name == EMAIL:
        return EmailChannel()
    if name == SMS:
        return import_string(settings.NOTIFICATION_SMS_CHANNEL)()
    if name == PUSH:
        return import_string(settings.NOTIFICATION_PUSH_CHANNEL)()
    raise ValueError(f"Unknown notification channel {name!r}.")
