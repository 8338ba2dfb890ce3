"""Errors of concierge requests (ARCHITECTURE.md "Shop and concierge" codes)."""

from coresync.core.errors import DomainError


class AgeVerificationRequired(DomainError):
    """Alcohol needs a birthday on the account making the member 21 or older on the pickup
    date (422 ``age_verification_required``)."""

    code = "age_verification_required"
    status = 422
    default_message = "Alcohol needs your date of birth on your account, and you must be 21."
