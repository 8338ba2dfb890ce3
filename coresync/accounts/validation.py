"""Checks for what a person may state about themselves: phone number and birthday.

Used by ``PATCH me/``, the site's profile and sign-up forms and the spa file, so every
channel accepts the same values and explains a refusal in the same words.
"""

import re
from datetime import date

from coresync.core.errors import InvalidInput

E164_PATTERN = re.compile(r"^\+[1-9]\d{7,14}$")
PHONE_SEPARATORS = re.compile(r"[\s().\-]")
OLDEST_AGE_YEARS = 120


def normalize_phone(value: str, *, field: str = "phone") -> str:
    """Return ``value`` as an E.164 number (``+15515742281``), or ``""`` when blank.

    Spaces, dots, dashes and parentheses are dropped; a bare 10-digit number is taken as a
    North American one (+1), as the spa is in New York.

    Raises:
        InvalidInput: anything else that is not ``+`` followed by 8 to 15 digits (ITU-T E.164).
    """
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput("Enter a phone number as text.", fields={field: "Must be text."})
    compact = PHONE_SEPARATORS.sub("", value.strip())
    if not compact:
        return ""
    if compact.isdigit() and len(compact) == 10:
        compact = "+1" + compact
    elif compact.isdigit() and len(compact) == 11 and compact.startswith("1"):
        compact = "+" + compact
    if not E164_PATTERN.match(compact):
        message = "Enter a phone number with its country code, e.g. +1 551 574 2281."
        raise InvalidInput(message, fields={field: message})
    return compact


def check_birthday(value: date | None, today: date, *, field: str = "birthday") -> date | None:
    """Return ``value`` when it is a plausible birthday (in the past, at most 120 years ago).

    Args:
        value: the date, or ``None`` to clear it.
        today: the spa-local date of the request.

    Raises:
        InvalidInput: a date today or later, or more than 120 years ago.
    """
    if value is None:
        return None
    if value >= today:
        raise InvalidInput(
            "A birthday must be in the past.", fields={field: "Must be in the past."}
        )
    try:
        oldest = today.replace(year=today.year - OLDEST_AGE_YEARS)
    except ValueError:  # 29 February
        oldest = today.replace(year=today.year - OLDEST_AGE_YEARS, day=28)
    if value < oldest:
        message = f"A birthday must be within the last {OLDEST_AGE_YEARS} years."
        raise InvalidInput(message, fields={field: message})
    return value
