"""Reads about a person: the data export of SPEC §11."""

from typing import Any

from coresync.accounts.models import User
from coresync.bookings.models import Booking
from coresync.memberships.models import Membership


def export_personal_data(user: User) -> dict[str, Any]:
    """Return everything CoreSync holds on ``user`` as JSON-ready data: profile, preferences,
    memberships and bookings (with their history)."""
    bookings = (
        Booking.objects.filter(customer=user)
        .select_related("service", "room", "technician")
        .prefetch_related("history", "booking_addons__addon")
        .order_by("start")
    )
    return {
        "profile": {
            "email": user.email,
            "name": user.name,
            "phone": user.phone,
            "birthday": user.birthday.isoformat() if user.birthday else None,
            "emergency_contact": user.emergency_contact,
            "marketing_consent": user.marketing_consent,
            "role": user.role,
            "date_joined": user.date_joined.isoformat(),
            "last_login": user.last_login.isoformat() if user.last_login else None,
        },
        "preferences": user.preferences,
        "notification_preferences": user.notification_preferences,
        "memberships": [
            {
                "plan": membership.plan.slug,
                "status": membership.status,
                "started_on": membership.started_on.isoformat(),
                "ends_on": membership.ends_on.isoformat() if membership.ends_on else None,
                "credits_used": membership.credits_used,
                "history": [
                    {
                        "at": entry.created_at.isoformat(),
                        "action": entry.action,
                        "from_status": entry.from_status,
                        "to_status": entry.to_status,
                        "data": entry.data,
                    }
                    for entry in membership.history.all()
                ],
            }
            for membership in Membership.objects.filter(customer=user)
            .select_related("plan")
            .prefetch_related("history")
        ],
        "bookings": [
            {
                "reference": booking.reference,
                "service": booking.service.slug,
                "start": booking.start.isoformat(),
                "end": booking.end.isoformat(),
                "status": booking.status,
                "technician": booking.technician.slug if booking.technician_id else None,
                "room": booking.room.slug,
                "addons": [item.addon.slug for item in booking.booking_addons.all()],
                "preferences": booking.preferences,
                "notes": booking.notes,
                "price_lines": booking.price_lines,
                "total": str(booking.total),
                "cancellation_fee": str(booking.cancellation_fee)
                if booking.cancellation_fee is not None
                else None,
                "history": [
                    {
                        "action": entry.action,
                        "at": entry.created_at.isoformat(),
                        "from_status": entry.from_status,
                        "to_status": entry.to_status,
                    }
                    for entry in booking.history.all()
                ],
            }
            for booking in bookings
        ],
    }
