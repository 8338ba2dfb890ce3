"""The money of memberships (docs/memberships.md, docs/decisions/0003-membership-renewals.md):
the first month paid online, monthly renewals charged off-session to the card on file with
retries over a grace period, and upgrades charged now with proration.

CoreSync renews on its own PaymentIntents rather than Stripe Billing subscriptions: the plan,
its period dates, the credits and the dunning stay in one database, the same outbox and
webhook code as bookings runs them, and pay-at-the-spa spas renew with no Stripe at all.

How a renewal happens once (a period is billed once however often anything runs):

1. :func:`schedule_due_renewals` (a periodic job) writes the period's
   :class:`~coresync.memberships.models.MembershipRenewal` — unique per membership and
   period start — and enqueues an outbox job per attempt (dedupe key
   ``membership-renewal:<id>:attempt:<n>``).
2. :func:`run_renewal_attempt` (the job, no lock held) writes the attempt's
   :class:`~coresync.payments.models.Payment` (purpose ``renewal:<id>:attempt:<n>``, unique),
   then charges the card on file with an idempotency key from that row's UUID; a job run
   again reaches the same PaymentIntent.
3. The outcome — from the API answer or from the webhook, whichever comes first, the other
   changing nothing — extends the period (:func:`renewal_paid`) or records the decline,
   makes the membership past due, emails the member and enqueues the next attempt
   (:func:`renewal_payment_declined`); after the last attempt the membership expires.
"""

import logging
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction

from coresync.core.clock import local_date
from coresync.core.clock import now as clock_now
from coresync.core.money import quantize
from coresync.memberships import services as membership_services
from coresync.memberships.billing import prorated_difference
from coresync.memberships.errors import MembershipConflict
from coresync.memberships.models import (
    OPEN_RENEWAL_STATUSES,
    Membership,
    MembershipPlan,
    MembershipRenewal,
    MembershipStatus,
    RenewalStatus,
)
from coresync.memberships.selectors import open_membership
from coresync.notifications.jobs import drain
from coresync.notifications.outbox import PermanentError, enqueue, outbox_handler
from coresync.payments import receipts
from coresync.payments.models import (
    OPEN_PAYMENT_STATUSES,
    Payment,
    PaymentCustomer,
    PaymentKind,
    PaymentStatus,
)
from coresync.payments.providers import get_provider
from coresync.payments.providers.base import (
    OnlinePaymentsDisabled,
    PaymentProviderError,
    PaymentStart,
)
from coresync.payments.services import (
    cancel_open_payment,
    execute_card_charge,
    start_purchase_payment,
)
from coresync.spa.selectors import get_settings

logger = logging.getLogger(__name__)

RENEW = "payments.renew_membership"
UPGRADE = "payments.charge_upgrade"


def _today(now: datetime):
    return local_date(now, get_settings().zone)


def attempt_days() -> list[int]:
    """Return ``MEMBERSHIP_RENEWAL_ATTEMPT_DAYS``: the days after a period's start on which
    each renewal attempt runs (default 0, 3, 7: three tries in seven days)."""
    return list(settings.MEMBERSHIP_RENEWAL_ATTEMPT_DAYS)


# -- renewals ------------------------------------------------------------------------------


def _attempt_key(renewal_id: int, attempt: int) -> str:
    return f"membership-renewal:{renewal_id}:attempt:{attempt}"


def _enqueue_attempt(renewal: MembershipRenewal, attempt: int) -> None:
    enqueue(
        RENEW,
        {"renewal_id": renewal.pk, "attempt": attempt},
        dedupe_key=_attempt_key(renewal.pk, attempt),
        available_at=renewal.next_attempt_at,
    )


def schedule_due_renewals(now: datetime | None = None) -> int:
    """Write the renewal of every membership whose period has ended (spa-local date) and
    make sure each open renewal has the outbox job of its next attempt; return how many
    renewals are open. Safe to run at any time, as often as wanted (every row and job is
    written once, by its unique key)."""
    now = now or clock_now()
    today = _today(now)
    for membership_id in list(membership_services.renewal_candidates(today)):
        membership_services.open_renewal(membership_id, now=now)
    open_renewals = list(MembershipRenewal.objects.filter(status__in=OPEN_RENEWAL_STATUSES))
    for renewal in open_renewals:
        with transaction.atomic():
            _enqueue_attempt(renewal, renewal.attempts + 1)
    return len(open_renewals)


def renew_memberships() -> int:
    """The periodic job (:mod:`coresync.payments.schedule`): write the due renewals and their
    charge jobs (:func:`schedule_due_renewals`), then run the due charges now rather than at
    the outbox's next tick. Returns how many renewals are open."""
    count = schedule_due_renewals()
    drain(topics=[RENEW])
    return count


def _renewal_payment(renewal: MembershipRenewal, attempt: int) -> Payment:
    provider = get_provider()
    customer = PaymentCustomer.objects.filter(user_id=renewal.membership.customer_id).first()
    with transaction.atomic():
        payment, _ = Payment.objects.get_or_create(
            purpose_key=f"renewal:{renewal.pk}:attempt:{attempt}",
            defaults={
                "customer_id": renewal.membership.customer_id,
                "membership": renewal.membership,
                "kind": PaymentKind.MEMBERSHIP,
                "amount": quantize(renewal.amount),
                "currency": "USD",
                "provider": provider.identifier,
                "provider_customer_id": customer.provider_customer_id if customer else "",
                "description": (
                    f"{renewal.plan.name} membership {renewal.period_start:%b} "
                    f"{renewal.period_start.day} – {renewal.period_end:%b} "
                    f"{renewal.period_end.day}, {renewal.period_end.year}"
                ),
            },
        )
    return payment


def run_renewal_attempt(renewal_id: int, attempt: int, *, now: datetime | None = None) -> str:
    """Run attempt ``attempt`` of a renewal (the outbox job); return what happened:
    ``paid``, ``declined``, ``waiting`` (the provider is still settling it; its webhook
    decides), ``rolled_over`` (paying at the spa) or ``stale`` (done already, or not this
    attempt's turn).

    Raises:
        PaymentProviderError: transient; the job is retried and reaches the same charge.
    """
    now = now or clock_now()
    renewal = MembershipRenewal.objects.select_related("membership", "plan").get(pk=renewal_id)
    if renewal.status not in OPEN_RENEWAL_STATUSES or renewal.attempts >= attempt:
        return "stale"
    if (
        renewal.membership.status not in (MembershipStatus.ACTIVE, MembershipStatus.PAST_DUE)
        or renewal.membership.ends_on is not None
    ):
        MembershipRenewal.objects.filter(pk=renewal.pk, status__in=OPEN_RENEWAL_STATUSES).update(
            status=RenewalStatus.SKIPPED, next_attempt_at=None
        )
        return "stale"
    if not get_provider().collects_online:
        # Paying at the spa: the fee is taken at the desk; the period and credits roll over.
        membership_services.complete_renewal(renewal.pk, now=now, data={"paid": "at the spa"})
        return "rolled_over"
    payment = _renewal_payment(renewal, attempt)
    if payment.status == PaymentStatus.PENDING and not payment.provider_payment_id:
        payment = execute_card_charge(payment, now=now)
    return record_membership_payment(payment, now=now) or "waiting"


def record_membership_payment(payment: Payment, *, now: datetime | None = None) -> str | None:
    """Act on a membership payment's final status, from the API answer or a webhook (the
    second changes nothing): a renewal attempt paid or declined, a first month paid, an
    upgrade paid or declined. Return ``paid``, ``declined`` or ``None`` (not final yet).

    Call it inside or outside a transaction; it writes in its own.
    """
    now = now or clock_now()
    if payment.status == PaymentStatus.SUCCEEDED:
        outcome = "paid"
    elif payment.status in (PaymentStatus.FAILED, PaymentStatus.CANCELED):
        outcome = "declined"
    else:
        return None
    kind, _, rest = payment.purpose_key.partition(":")
    with transaction.atomic():
        if kind == "renewal":
            renewal_id, _, attempt = rest.partition(":attempt:")
            if outcome == "paid":
                renewal_paid(int(renewal_id), payment, now=now)
            else:
                renewal_payment_declined(int(renewal_id), int(attempt), payment, now=now)
        elif is_first_payment(payment) and outcome == "paid":
            if membership_services.start_paid_membership(
                payment.membership_id, now=now, data={"payment": str(payment.uuid)}
            ):
                receipts.send_payment_receipt(payment)
        elif ":upgrade:" in payment.purpose_key:
            plan_id = int(payment.purpose_key.split(":upgrade:")[1].split(":")[0])
            if outcome == "paid":
                if membership_services.apply_paid_upgrade(
                    payment.membership_id, plan_id, now=now, data={"payment": str(payment.uuid)}
                ):
                    receipts.send_payment_receipt(payment)
            else:
                membership_services.withdraw_upgrade(
                    payment.membership_id, plan_id, reason=payment.failure_message
                )
    return outcome


def renewal_paid(renewal_id: int, payment: Payment, *, now: datetime) -> None:
    """Extend the membership by the paid period and email the receipt, once."""
    if membership_services.complete_renewal(
        renewal_id, now=now, data={"payment": str(payment.uuid)}
    ):
        receipts.send_payment_receipt(payment)


def renewal_payment_declined(
    renewal_id: int, attempt: int, payment: Payment, *, now: datetime
) -> None:
    """Record a declined attempt: past due (or expired after the last attempt), a dunning
    email, and the next attempt's job at its day — each once."""
    outcome = membership_services.renewal_declined(
        renewal_id,
        attempt=attempt,
        reason=payment.failure_message or payment.failure_code or "The card was declined.",
        attempt_days=attempt_days(),
        now=now,
    )
    if not outcome.changed:
        return
    renewal = outcome.renewal
    receipts.send_dunning_email(renewal, attempt=attempt, expired=outcome.expired)
    if outcome.retry_at is not None:
        _enqueue_attempt(renewal, attempt + 1)


@outbox_handler(RENEW)
def renew_membership_job(message) -> None:
    """Run one renewal attempt (:func:`run_renewal_attempt`)."""
    try:
        run_renewal_attempt(message.payload["renewal_id"], message.payload["attempt"])
    except PaymentProviderError as error:
        if error.permanent:
            raise PermanentError(str(error)) from error
        raise


# -- joining online: the first month ------------------------------------------------------


def first_payment_key(membership: Membership) -> str:
    """The purpose key of a pending membership's first month, for its plan of the moment: a
    plan changed before paying gets a new payment, at the new price."""
    return f"membership:{membership.pk}:first:{membership.plan_id}"


def is_first_payment(payment: Payment) -> bool:
    return ":first:" in payment.purpose_key


def first_payment(membership: Membership) -> Payment | None:
    """The payment of ``membership``'s first month at its current plan, if asked for."""
    return Payment.objects.filter(purpose_key=first_payment_key(membership)).first()


def start_membership_payment(membership: Membership) -> PaymentStart:
    """Ask for the first month of a pending ``membership`` online: its payment row once
    (``membership:<id>:first:<plan id>``), then — no lock held — a PaymentIntent keyed by the
    row that
    keeps the card for the renewals. Paying at the spa: nothing (the desk activates it).

    Raises:
        MembershipConflict: the membership is not waiting for its first payment.
        PaymentProviderUnavailable: Stripe could not be reached (try again: same intent).
    """
    provider = get_provider()
    amount = quantize(membership.plan.monthly_price)
    if not provider.collects_online:
        return PaymentStart(provider=provider.identifier, amount=amount, currency="USD")
    if membership.status != MembershipStatus.PENDING:
        raise MembershipConflict("This membership is not waiting for its first payment.")
    with transaction.atomic():
        payment, _ = Payment.objects.get_or_create(
            purpose_key=first_payment_key(membership),
            defaults={
                "customer_id": membership.customer_id,
                "membership": membership,
                "kind": PaymentKind.MEMBERSHIP,
                "amount": amount,
                "currency": "USD",
                "provider": provider.identifier,
                "description": f"{membership.plan.name} membership, first month",
            },
        )
    return start_purchase_payment(payment, membership.customer)


def join(customer, plan: MembershipPlan, *, now: datetime | None = None):
    """Join ``plan`` in any channel: a pending membership (:func:`subscribe`) and, with an
    online provider, the PaymentIntent of its first month; return ``(membership, start)``.
    Online, a customer whose membership still waits for its first payment gets that payment
    again (on its plan of choice); paying at the spa, joining twice is a conflict.

    Raises:
        MembershipConflict, PaymentProviderUnavailable.
    """
    now = now or clock_now()
    waiting = open_membership(customer, _today(now))
    online = get_provider().collects_online
    if online and waiting is not None and waiting.status == MembershipStatus.PENDING:
        if waiting.plan_id != plan.pk:
            earlier = first_payment(waiting)
            waiting = membership_services.change_plan(customer, plan, now=now)
            if earlier is not None and earlier.status in OPEN_PAYMENT_STATUSES:
                cancel_open_payment(earlier)  # the old plan's price can no longer be paid
        membership = waiting
    else:
        membership = membership_services.subscribe(customer, plan, now=now)
    return membership, start_membership_payment(membership)


# -- upgrades: now, with proration ---------------------------------------------------------


def upgrade_price(membership: Membership, plan: MembershipPlan, today) -> Decimal:
    """Return what moving ``membership`` to ``plan`` today costs for the rest of the period
    (:func:`coresync.memberships.billing.prorated_difference`)."""
    if membership.current_period_start is None or membership.current_period_end is None:
        return quantize(max(plan.monthly_price - membership.plan.monthly_price, Decimal("0")))
    return prorated_difference(
        membership.plan.monthly_price,
        plan.monthly_price,
        today=today,
        period_start=membership.current_period_start,
        period_end=membership.current_period_end,
    )


def change_membership_plan(customer, plan: MembershipPlan, *, now: datetime | None = None):
    """Change plan in any channel (:func:`coresync.memberships.services.change_plan`); with
    an online provider an upgrade is charged now — the prorated difference, to the card on
    file — and applies as soon as it is paid; a downgrade waits for the period's end.
    Return the membership as it is afterwards.

    Raises:
        MembershipConflict: as ``change_plan``; an upgrade without a card on file.
    """
    now = now or clock_now()
    provider = get_provider()
    today = _today(now)
    current = open_membership(customer, today)
    upgrading = (
        current is not None
        and current.status in (MembershipStatus.ACTIVE, MembershipStatus.PAST_DUE)
        and plan.monthly_price > current.plan.monthly_price
    )
    if upgrading and provider.collects_online:
        card = PaymentCustomer.objects.filter(user=customer).first()
        if card is None or not card.has_card_on_file:
            raise MembershipConflict("Add a card on file first: an upgrade is charged at once.")
    with transaction.atomic():
        membership = membership_services.change_plan(customer, plan, now=now)
        if not (upgrading and provider.collects_online and membership.pending_plan_id):
            return membership
        amount = upgrade_price(membership, plan, today)
        if amount <= 0:
            membership_services.apply_paid_upgrade(membership.pk, plan.pk, now=now)
            return Membership.objects.get(pk=membership.pk)
        payment, _ = Payment.objects.get_or_create(
            purpose_key=(
                f"membership:{membership.pk}:upgrade:{plan.pk}:{membership.current_period_start}"
            ),
            defaults={
                "customer": customer,
                "membership": membership,
                "kind": PaymentKind.MEMBERSHIP,
                "amount": amount,
                "currency": "USD",
                "provider": provider.identifier,
                "description": (
                    f"Upgrade to {plan.name}, prorated to {membership.current_period_end}"
                ),
            },
        )
        enqueue(UPGRADE, {"payment_id": payment.pk}, dedupe_key=f"{UPGRADE}:{payment.pk}")
    try:
        charge_upgrade(payment.pk, now=now)
    except PaymentProviderError as error:
        logger.warning("Upgrade charge %s left to the outbox: %s", payment.pk, error)
    return Membership.objects.select_related("plan", "pending_plan").get(pk=membership.pk)


def charge_upgrade(payment_id: int, *, now: datetime | None = None) -> str | None:
    """Charge an upgrade's payment once and apply (or withdraw) the upgrade."""
    payment = Payment.objects.get(pk=payment_id)
    if payment.status == PaymentStatus.PENDING and not payment.provider_payment_id:
        payment = execute_card_charge(payment, now=now)
    return record_membership_payment(payment, now=now)


@outbox_handler(UPGRADE)
def charge_upgrade_job(message) -> None:
    """The safety net of :func:`change_membership_plan`: charge an upgrade whose request
    ended before its charge did."""
    try:
        charge_upgrade(message.payload["payment_id"])
    except (PaymentProviderError, OnlinePaymentsDisabled) as error:
        if getattr(error, "permanent", True):
            raise PermanentError(str(error)) from error
        raise
