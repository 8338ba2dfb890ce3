"""Erasing a person's data across the apps (SPEC §11 "data export and deletion")."""

from django.db import transaction

from coresync.accounts.models import User
from coresync.accounts.services import anonymize_account
from coresync.assistant.models import Conversation
from coresync.bookings.models import Booking
from coresync.concierge.models import ConciergeRequest
from coresync.shop.models import Order


def delete_account(user: User) -> None:
    """Erase a customer's personal data, in one transaction (SPEC §11).

    The account is anonymized (:func:`coresync.accounts.services.anonymize_account`: email
    ``deleted-<id>@deleted.invalid``, name "Deleted customer", contacts and preferences
    cleared, password unusable, inactive, signed out everywhere). Booking notes and
    preferences, order notes and the words of concierge requests are cleared, and the
    assistant's transcripts deleted; times, services, products and amounts stay for the books.
    """
    with transaction.atomic():
        anonymize_account(user)
        Booking.objects.filter(customer=user).update(notes="", preferences={})
        Order.objects.filter(customer=user).update(notes="")
        ConciergeRequest.objects.filter(member=user).update(
            title="(erased)", description="", link="", staff_notes=""
        )
        Conversation.objects.filter(owner=user).delete()
