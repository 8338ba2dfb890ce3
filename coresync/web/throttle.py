"""Rate limits of the site's forms and pages (SPEC §11; docs/security.md "Rate limits").

- Sign-in (site and admin): failed attempts are counted per client address and per
  (address, email). A guest cannot be locked out by someone else trying their email from
  another address, and the right password on a fresh address always gets through.
- Sign-up: per client address. Password reset: per client address and per target email.
- The booking page for anonymous visitors: the API's anonymous availability rate, per
  address (same engine, same limit).

Every refusal is a 429 with ``Retry-After``.
"""

from django.conf import settings
from django.http import HttpRequest

from coresync.core.ratelimit import Rate, client_address, count, hit, retry_after


def _rate(name: str) -> Rate:
    return Rate.parse(settings.WEB_RATE_LIMITS[name])


def login_retry_after(request: HttpRequest, email: str) -> int | None:
    """Return the seconds to wait before this address may try to sign in as ``email``
    again, or ``None`` if it may now. Counts nothing."""
    address = client_address(request)
    return retry_after("login.address", address, _rate("login_failures_per_address")) or (
        retry_after("login.address_email", f"{address}|{email}", _rate("login_failures_per_email"))
    )


def record_login_failure(request: HttpRequest, email: str) -> None:
    """Count one failed sign-in from this address for ``email``."""
    address = client_address(request)
    count("login.address", address, _rate("login_failures_per_address"))
    count("login.address_email", f"{address}|{email}", _rate("login_failures_per_email"))


def signup_retry_after(request: HttpRequest) -> int | None:
    """Count one sign-up from this address; return the seconds to wait if over the limit."""
    return hit("signup.address", client_address(request), _rate("signup_per_address"))


def password_reset_retry_after(request: HttpRequest, email: str) -> int | None:
    """Count one reset request from this address for ``email``; return the seconds to wait
    if either the address or the email is over its limit."""
    by_address = hit("reset.address", client_address(request), _rate("reset_per_address"))
    by_email = hit("reset.email", email, _rate("reset_per_email"))
    return max(by_address or 0, by_email or 0) or None


def booking_page_retry_after(request: HttpRequest) -> int | None:
    """Count one anonymous view of the booking page; return the seconds to wait if over the
    API's anonymous availability rate (``THROTTLE_ANON_AVAILABILITY``)."""
    rate = Rate.parse(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["anon_availability"])
    return hit("book.address", client_address(request), rate)


def assistant_chat_retry_after(request: HttpRequest) -> int | None:
    """Count one message to the chat section; return the seconds to wait if over the API's
    assistant rate: per user when signed in (``THROTTLE_ASSISTANT_USER``), else per address
    (``THROTTLE_ASSISTANT_ANON``)."""
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    if request.user.is_authenticated:
        return hit("assistant.user", str(request.user.pk), Rate.parse(rates["assistant_user"]))
    return hit("assistant.address", client_address(request), Rate.parse(rates["assistant_anon"]))
