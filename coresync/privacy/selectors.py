"""Reads about a person across the apps: the data export of SPEC §11."""

from typing import Any

from coresync.accounts.models import User
from coresync.assistant.models import Conversation
from coresync.bookings.models import Booking
from coresync.concierge.models import ConciergeRequest
from coresync.memberships.models import Membership
from coresync.shop.models import Order


def export_personal_data(user: User) -> dict[str, Any]:
    """Return everything CoreSync holds on ``user`` as JSON-ready data: profile, preferences,
    memberships, bookings (with their history), shop orders, concierge requests and the
    assistant's transcripts."""
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
        "shop_orders": [
            {
                "reference": order.reference,
                "status": order.status,
                "created_at": order.created_at.isoformat(),
                "items": [
                    {
                        "product": line.product.slug,
                        "quantity": line.quantity,
                        "unit_price": str(line.unit_price),
                    }
                    for line in order.lines.all()
                ],
                "total": str(order.total),
                "notes": order.notes,
            }
            for order in Order.objects.filter(customer=user).prefetch_related("lines__product")
        ],
        "concierge_requests": [
            {
                "reference": row.reference,
                "status": row.status,
                "category": row.category,
                "title": row.title,
                "description": row.description,
                "link": row.link,
                "budget_min": str(row.budget_min),
                "budget_max": str(row.budget_max),
                "pickup_date": row.pickup_date.isoformat(),
                "created_at": row.created_at.isoformat(),
            }
            for row in ConciergeRequest.objects.filter(member=user)
        ],
        "assistant_conversations": [
            {
                "id": str(conversation.id),
                "channel": conversation.channel,
                "started_at": conversation.started_at.isoformat(),
                "messages": [
                    {
                        "role": message.role,
                        "text": message.text,
                        "at": message.created_at.isoformat(),
                    }
                    for message in conversation.messages.all()
                ],
            }
            for conversation in Conversation.objects.filter(owner=user).prefetch_related("messages")
        ],
    }
