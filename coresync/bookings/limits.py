"""The per-user budget of booking attempts (SPEC §11 "rate limits on login and booking").

One budget per user (``DEFAULT_THROTTLE_RATES["booking_create"]``, 30/hour by default),
counted in the cache with :mod:`coresync.core.ratelimit` and shared by every channel that
books — the API's ``POST bookings/`` and the site's confirm button — so a client cannot
double its budget by switching between them.
"""

from coresync.core.ratelimit import user_budget_retry_after


def booking_attempt_retry_after(user) -> int | None:
    """Count one booking attempt by ``user`` (a signed-in user).

    Returns:
        ``None`` when the attempt is within the budget, else the seconds to wait (≥ 1).
    """
    return user_budget_retry_after("booking_create", user)
