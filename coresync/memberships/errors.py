"""Membership errors."""

from coresync.core.errors import DomainError


class MembershipConflict(DomainError):
    """The customer already has a current membership / has none to change (422)."""

    code = "invalid_transition"
    status = 422
    default_message = "That membership change is not possible."
