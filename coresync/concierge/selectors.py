"""Reads of concierge requests: who sees which."""

from django.db.models import QuerySet

from coresync.accounts.models import acts_for_every_customer
from coresync.concierge.models import ConciergeRequest


def requests_visible_to(user) -> QuerySet[ConciergeRequest]:
    """Front desk and managers see every request; a member their own; anyone else none."""
    requests = ConciergeRequest.objects.select_related("member", "handled_by")
    if not getattr(user, "is_authenticated", False):
        return requests.none()
    if acts_for_every_customer(user):
        return requests
    return requests.filter(member=user)
