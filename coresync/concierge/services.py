"""Concierge requests (SPEC §8, ARCHITECTURE.md "Shop and concierge"): who may ask, what a
request must say, and the staff's steps — each a named function with a status guard under a
row lock, an audit entry and an email to the member through the outbox.

Rules:
- only members whose active plan is Premium or VIP may ask (403 ``forbidden``);
- ``pickup_date`` at least 3 spa-local days after today; ``0 ≤ budget_min ≤ budget_max``;
- alcohol: the account's birthday makes the member 21 or older on the pickup date (a
  29 February birthday turns 21 on 1 March in common years), else 422
  ``age_verification_required``;
- pending → approved → processing → ready → completed; pending → declined (with a reason);
  the member cancels while pending or approved; anything else 422 ``invalid_transition``;
- an actual cost above the member's budget is refused (the member is asked first);
- the staff answer within 24 hours (``review_due_at``; :func:`overdue_requests`).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from coresync.accounts.models import Role, User, acts_for_every_customer
from coresync.concierge.errors import AgeVerificationRequired
from coresync.concierge.models import ConciergeRequest, RequestCategory, RequestStatus
from coresync.core import audit
from coresync.core.clock import local_date
from coresync.core.clock import now as clock_now
from coresync.core.errors import Forbidden, InvalidInput, InvalidTransition
from coresync.core.money import quantize
from coresync.memberships.models import Tier
from coresync.memberships.selectors import get_customer_access
from coresync.notifications.outbox import enqueue
from coresync.spa.selectors import get_settings
from coresync.spa.services import issue_reference

TOPIC_CONCIERGE_EMAIL = "concierge.email"
MIN_DAYS_AHEAD = 3
DRINKING_AGE = 21
REVIEW_WITHIN = timedelta(hours=24)
ELIGIBLE_TIERS = (Tier.PREMIUM, Tier.VIP)

ALLOWED_TRANSITIONS: dict[str, tuple[str, ...]] = {
    RequestStatus.PENDING: (
        RequestStatus.APPROVED,
        RequestStatus.DECLINED,
        RequestStatus.CANCELLED,
    ),
    RequestStatus.APPROVED: (RequestStatus.PROCESSING, RequestStatus.CANCELLED),
    RequestStatus.PROCESSING: (RequestStatus.READY,),
    RequestStatus.READY: (RequestStatus.COMPLETED,),
}


@dataclass(frozen=True)
class RequestDetails:
    """What a member asks for (money in USD ``Decimal``, ``pickup_date`` spa-local)."""

    category: str
    title: str
    description: str
    budget_min: Decimal
    budget_max: Decimal
    pickup_date: date
    link: str = ""


def is_eligible(member, now: datetime | None = None) -> bool:
    """Tell whether ``member`` has an active Premium or VIP membership today (spa time)."""
    if not getattr(member, "is_authenticated", False):
        return False
    spa_settings = get_settings()
    today = local_date(now or clock_now(), spa_settings.zone)
    access = get_customer_access(member, today, spa_settings)
    return access.is_member and access.tier in ELIGIBLE_TIERS


def turns_21_on(birthday: date) -> date:
    """Return the day ``birthday``'s person turns 21 (29 February → 1 March)."""
    try:
        return birthday.replace(year=birthday.year + DRINKING_AGE)
    except ValueError:  # 29 February in a common year
        return date(birthday.year + DRINKING_AGE, 3, 1)


def _check_details(member, details: RequestDetails, today: date) -> None:
    """Raise ``InvalidInput`` naming the first wrong field, or ``AgeVerificationRequired``."""
    if details.category not in RequestCategory.values:
        raise InvalidInput(
            f"Unknown category {details.category!r}.",
            fields={"category": f"One of {', '.join(RequestCategory.values)}."},
        )
    earliest = today + timedelta(days=MIN_DAYS_AHEAD)
    if details.pickup_date < earliest:
        raise InvalidInput(
            f"The pickup date must be {earliest.isoformat()} or later.",
            fields={"pickup_date": f"At least {MIN_DAYS_AHEAD} days ahead ({earliest})."},
        )
    if details.budget_min < 0:
        raise InvalidInput("The budget cannot be negative.", fields={"budget_min": "0 or more."})
    if details.budget_min > details.budget_max:
        raise InvalidInput(
            "The lowest budget is above the highest.",
            fields={"budget_min": "At most budget_max."},
        )
    if details.category == RequestCategory.ALCOHOL and (
        member.birthday is None or turns_21_on(member.birthday) > details.pickup_date
    ):
        raise AgeVerificationRequired(
            "Alcohol needs your date of birth on your account, and you must be 21 on the "
            "pickup date."
            if member.birthday is None
            else "You must be 21 on the pickup date to ask for alcohol."
        )


def submit_request(
    member, details: RequestDetails, *, now: datetime | None = None
) -> ConciergeRequest:
    """Record a member's request (``pending``), due for review within 24 hours; the member
    gets an acknowledgment email.

    Raises:
        Forbidden (403): not an active Premium or VIP member.
        InvalidInput (400): the field named (category, pickup_date, budget_min).
        AgeVerificationRequired (422): alcohol without a birthday making the member 21.
    """
    now = now or clock_now()
    if not is_eligible(member, now):
        raise Forbidden("The concierge is for Premium and VIP members.")
    today = local_date(now, get_settings().zone)
    _check_details(member, details, today)
    with transaction.atomic():
        request = ConciergeRequest.objects.create(
            reference=issue_reference("CR", now),
            member=member,
            category=details.category,
            title=details.title.strip(),
            description=details.description.strip(),
            link=details.link or "",
            budget_min=quantize(details.budget_min),
            budget_max=quantize(details.budget_max),
            pickup_date=details.pickup_date,
            review_due_at=now + REVIEW_WITHIN,
        )
        _tell_member(request, "received")
        audit.record(request, "concierge_request.created", actor=member)
    return request


def _tell_member(request: ConciergeRequest, kind: str) -> None:
    enqueue(
        TOPIC_CONCIERGE_EMAIL,
        {"kind": kind, "request_id": request.pk},
        dedupe_key=f"concierge:{request.pk}:{kind}",
    )


def _move(
    request: ConciergeRequest, target: str, *, actor, now: datetime, **changes: Any
) -> ConciergeRequest:
    """Move ``request`` to ``target`` under a row lock (concurrent staff: one wins, the
    other gets ``InvalidTransition``), record it, email the member."""
    with transaction.atomic():
        locked = ConciergeRequest.objects.select_for_update().get(pk=request.pk)
        if target not in ALLOWED_TRANSITIONS.get(locked.status, ()):
            raise InvalidTransition(
                f"Request {locked.reference} is {locked.get_status_display().lower()}; "
                f"it cannot become {RequestStatus(target).label.lower()}.",
                status=locked.status,
            )
        previous = locked.status
        locked.status = target
        for name, value in changes.items():
            setattr(locked, name, value)
        if previous == RequestStatus.PENDING and locked.reviewed_at is None:
            locked.reviewed_at = now
            changes["reviewed_at"] = now
        locked.save(update_fields=["status", "updated_at", *changes])
        _tell_member(locked, target)
        audit.record(
            locked,
            f"concierge_request.{target}",
            actor=actor,
            data={"from": previous, "to": target, **changes},
        )
        return locked


def _ensure_staff(actor) -> None:
    if not acts_for_every_customer(actor):
        raise Forbidden("Only the front desk or a manager can do that.")


def _staff_changes(actor, staff_notes: str | None) -> dict[str, Any]:
    changes: dict[str, Any] = {"handled_by": actor}
    if staff_notes:
        changes["staff_notes"] = staff_notes.strip()
    return changes


def approve_request(request, *, actor, staff_notes: str | None = None, now=None):
    """Staff accept a pending request. Raises Forbidden (403), InvalidTransition (422)."""
    _ensure_staff(actor)
    changes = _staff_changes(actor, staff_notes)
    return _move(request, RequestStatus.APPROVED, actor=actor, now=now or clock_now(), **changes)


def decline_request(request, *, actor, reason: str, now=None):
    """Staff decline a pending request, saying why (the member reads ``reason``).

    Raises: Forbidden (403); InvalidInput (400) without a reason; InvalidTransition (422)."""
    _ensure_staff(actor)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say why the request is declined.", fields={"reason": "Required."})
    changes = {"handled_by": actor, "decline_reason": reason}
    return _move(request, RequestStatus.DECLINED, actor=actor, now=now or clock_now(), **changes)


def start_request(request, *, actor, staff_notes: str | None = None, now=None):
    """Staff start finding it (approved → processing). Raises Forbidden, InvalidTransition."""
    _ensure_staff(actor)
    changes = _staff_changes(actor, staff_notes)
    return _move(request, RequestStatus.PROCESSING, actor=actor, now=now or clock_now(), **changes)


def mark_request_ready(
    request, *, actor, actual_cost: Decimal | None = None, staff_notes: str | None = None, now=None
):
    """It waits at the desk (processing → ready), at ``actual_cost`` (within the budget).

    Raises: Forbidden (403); InvalidInput (400) for a cost outside 0…budget_max;
    InvalidTransition (422)."""
    _ensure_staff(actor)
    changes = _staff_changes(actor, staff_notes)
    if actual_cost is not None:
        if actual_cost < 0 or actual_cost > request.budget_max:
            raise InvalidInput(
                f"The cost must be within the member's budget (up to {request.budget_max}); "
                "ask the member before going above it.",
                fields={"actual_cost": f"0 to {request.budget_max}."},
            )
        changes["actual_cost"] = quantize(actual_cost)
    return _move(request, RequestStatus.READY, actor=actor, now=now or clock_now(), **changes)


def complete_request(request, *, actor, now=None):
    """The member picked it up (ready → completed). Raises Forbidden, InvalidTransition."""
    _ensure_staff(actor)
    return _move(request, RequestStatus.COMPLETED, actor=actor, now=now or clock_now())


def cancel_request(request, *, actor, now=None):
    """The member (or the desk) cancels while pending or approved.

    Raises: Forbidden (403) for anyone else; InvalidTransition (422)."""
    if actor.pk != request.member_id and not acts_for_every_customer(actor):
        raise Forbidden("Only the member who asked, or the desk, can cancel this request.")
    return _move(request, RequestStatus.CANCELLED, actor=actor, now=now or clock_now())


def overdue_requests(now: datetime | None = None) -> QuerySet[ConciergeRequest]:
    """Pending requests past their 24-hour review target, oldest first."""
    return ConciergeRequest.objects.filter(
        status=RequestStatus.PENDING, review_due_at__lt=now or clock_now()
    ).order_by("review_due_at")


def report_overdue_requests(now: datetime | None = None) -> int:
    """The periodic job (:mod:`coresync.concierge.schedule`): tell every active manager, once
    a spa-local day, which requests are past their 24-hour review target (one outbox email
    each, listing them). Returns how many requests are overdue."""
    now = now or clock_now()
    overdue = list(overdue_requests(now).values_list("pk", flat=True))
    if not overdue:
        return 0
    today = local_date(now, get_settings().zone)
    managers = User.objects.filter(role=Role.MANAGER, is_active=True).values_list("pk", flat=True)
    with transaction.atomic():
        for manager_id in managers:
            enqueue(
                TOPIC_CONCIERGE_EMAIL,
                {"kind": "overdue_report", "manager_id": manager_id, "request_ids": overdue},
                dedupe_key=f"concierge:overdue:{today.isoformat()}:{manager_id}",
            )
    return len(overdue)
