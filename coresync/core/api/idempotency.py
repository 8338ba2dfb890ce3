"""The API's ``Idempotency-Key`` header (ARCHITECTURE.md: ``POST bookings/``). The key
itself is kept by the creating step, as for every channel (:mod:`coresync.core.idempotency`).
"""

from rest_framework.request import Request

from coresync.core.errors import InvalidInput
from coresync.core.idempotency import MAX_KEY_LENGTH

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"


def require_key(request: Request) -> str:
    """Return the request's Idempotency-Key.

    Raises:
        InvalidInput: the header is missing, empty or longer than 200 characters.
    """
    key = request.headers.get(HEADER, "").strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(
            f"The {HEADER} header is required (1 to {MAX_KEY_LENGTH} characters).",
            fields={HEADER: "Send a unique key per new booking, e.g. a UUID."},
        )
    return key
