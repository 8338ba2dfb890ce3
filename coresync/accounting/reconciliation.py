"""The nightly reconciliation (SPEC §5): for one spa-local day, compare Stripe's captured
charges and its refunds with CoreSync's payments and refunds, and CoreSync's money movements
(the ledger) with the receipts QuickBooks holds; record every difference and email it to the
managers.

Differences (:class:`~coresync.accounting.models.MismatchKind`): a movement with no receipt
in QuickBooks (``missing``), a receipt whose total is not the movement's (``amount_differs``),
two receipts for one movement (``duplicate``), a CoreSync receipt QuickBooks has that the
ledger does not (``unknown``), a Stripe charge no payment knows (``stripe_missing``) or whose
amount differs (``stripe_amount``), a Stripe refund no refund knows
(``refund_missing``) or whose amount differs (``refund_amount``).
"""

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction

from coresync.accounting.documents import payment_entity, refund_entity
from coresync.accounting.errors import AccountingError
from coresync.accounting.models import LedgerReceipt, Mismatch, MismatchKind, ReconciliationRun
from coresync.accounting.providers import get_provider
from coresync.accounting.services import collect_pending
from coresync.accounts.models import Role, User
from coresync.core.clock import local_date, local_midnight_utc
from coresync.core.clock import now as clock_now
from coresync.notifications.outbox import enqueue
from coresync.payments.models import Payment, PaymentProviderName, PaymentStatus, Refund
from coresync.spa.selectors import get_settings

logger = logging.getLogger(__name__)

TOPIC_REPORT_EMAIL = "accounting.report_email"


@dataclass(frozen=True)
class StripeCharge:
    """A succeeded PaymentIntent (or refund) at Stripe: its id and amount, in dollars."""

    intent_id: str
    amount: Decimal


def _stripe_list(day: date, resource: str) -> list:
    """The objects of a Stripe list endpoint (``payment_intents``, ``refunds``) created on
    the spa-local ``day`` (``created`` range, auto-pagination); empty when Stripe is not the
    payment provider."""
    if settings.PAYMENT_PROVIDER != PaymentProviderName.STRIPE:
        return []
    from coresync.payments.providers.stripe import StripePaymentProvider

    zone = get_settings().zone
    start = int(local_midnight_utc(day, zone).timestamp())
    end = int(local_midnight_utc(day + timedelta(days=1), zone).timestamp())
    client = StripePaymentProvider.from_settings().client
    page = getattr(client.v1, resource).list(
        params={"created": {"gte": start, "lt": end}, "limit": 100}
    )
    return list(page.auto_paging_iter())


def stripe_charges(day: date) -> list[StripeCharge]:
    """Return the PaymentIntents Stripe captured on the spa-local ``day`` (Stripe API "List
    all PaymentIntents")."""
    from coresync.payments.providers.stripe import from_minor_units

    return [
        StripeCharge(intent.id, from_minor_units(intent.amount_received))
        for intent in _stripe_list(day, "payment_intents")
        if intent.status == "succeeded"
    ]


def stripe_refunds(day: date) -> list[StripeCharge]:
    """Return the refunds Stripe made on the spa-local ``day`` (Stripe API "List all
    refunds"; ``succeeded`` ones: a pending or failed refund has moved no money)."""
    from coresync.payments.providers.stripe import from_minor_units

    return [
        StripeCharge(refund.id, from_minor_units(refund.amount))
        for refund in _stripe_list(day, "refunds")
        if refund.status == "succeeded"
    ]


def _compare_with_stripe(
    stripe: list[StripeCharge],
    ours: dict[str, Any],
    entity: Callable[[Any], str],
    kinds: tuple[str, str],
) -> list[Mismatch]:
    """Stripe's movements against ours (provider id → row with an ``amount``): one Stripe
    has and we do not is ``kinds[0]``, one whose amount differs ``kinds[1]`` (the row named
    by ``entity``, the ledger's name for it)."""
    missing, differs = kinds
    found = []
    for movement in stripe:
        row = ours.get(movement.intent_id)
        if row is None:
            found.append(
                Mismatch(kind=missing, reference=movement.intent_id, actual=movement.amount)
            )
        elif row.amount != movement.amount:
            found.append(
                Mismatch(
                    kind=differs,
                    entity=entity(row),
                    reference=movement.intent_id,
                    expected=row.amount,
                    actual=movement.amount,
                )
            )
    return found


def _stripe_mismatches(charges: list[StripeCharge], refunds: list[StripeCharge]) -> list[Mismatch]:
    """Stripe's charges against the succeeded payments, and its refunds against CoreSync's
    refunds (any status: a refund whose webhook has not come yet is still known, so only its
    amount is compared)."""
    payments = Payment.objects.filter(
        provider=PaymentProviderName.STRIPE,
        provider_payment_id__in=[charge.intent_id for charge in charges],
        status=PaymentStatus.SUCCEEDED,
    )
    known_refunds = Refund.objects.filter(
        provider_refund_id__in=[refund.intent_id for refund in refunds]
    )
    return _compare_with_stripe(
        charges,
        {row.provider_payment_id: row for row in payments},
        payment_entity,
        (MismatchKind.STRIPE_MISSING, MismatchKind.STRIPE_AMOUNT),
    ) + _compare_with_stripe(
        refunds,
        {row.provider_refund_id: row for row in known_refunds},
        refund_entity,
        (MismatchKind.STRIPE_REFUND_MISSING, MismatchKind.STRIPE_REFUND_AMOUNT),
    )


def _ledger_mismatches(day: date, remote) -> list[Mismatch]:
    ledger = {row.entity: row for row in LedgerReceipt.objects.filter(txn_date=day)}
    by_entity = defaultdict(list)
    for receipt in remote:
        by_entity[receipt.entity].append(receipt)
    found = []
    for entity, row in sorted(ledger.items()):
        receipts = by_entity.get(entity, [])
        if not receipts:
            found.append(Mismatch(kind=MismatchKind.MISSING, entity=entity, expected=row.total))
        elif len(receipts) > 1:
            found.append(
                Mismatch(
                    kind=MismatchKind.DUPLICATE,
                    entity=entity,
                    expected=row.total,
                    actual=sum((receipt.total for receipt in receipts), Decimal("0.00")),
                    quickbooks_ids=[receipt.id for receipt in receipts],
                )
            )
        elif receipts[0].total != row.total:
            found.append(
                Mismatch(
                    kind=MismatchKind.AMOUNT_DIFFERS,
                    entity=entity,
                    expected=row.total,
                    actual=receipts[0].total,
                    quickbooks_ids=[receipts[0].id],
                )
            )
    for entity, receipts in sorted(by_entity.items()):
        if entity and entity not in ledger:
            found.append(
                Mismatch(
                    kind=MismatchKind.UNKNOWN,
                    entity=entity,
                    actual=sum((receipt.total for receipt in receipts), Decimal("0.00")),
                    quickbooks_ids=[receipt.id for receipt in receipts],
                )
            )
    return found


def reconcile_day(day: date, *, now: datetime | None = None) -> ReconciliationRun:
    """Reconcile the spa-local ``day`` and record the run and its mismatches; queue the
    report email to the managers when something differs or the run failed.

    1. Record in the ledger any movement not there yet (so "missing" means missing in
       QuickBooks, not a late batch).
    2. Read Stripe's charges and QuickBooks' receipts of the day (no lock held).
    3. Compare, write the run and its mismatches, enqueue the email — one transaction.
    """
    now = now or clock_now()
    collect_pending(now)
    error = ""
    found: list[Mismatch] = []
    try:
        found += _stripe_mismatches(stripe_charges(day), stripe_refunds(day))
        found += _ledger_mismatches(day, get_provider().receipts_for_day(day))
    except AccountingError as failure:
        error = str(failure)
        logger.warning("Reconciliation of %s could not finish: %s", day, failure)
    with transaction.atomic():
        run = ReconciliationRun.objects.create(
            day=day,
            ran_at=now,
            checked=LedgerReceipt.objects.filter(txn_date=day).count(),
            error=error,
        )
        for mismatch in found:
            mismatch.run = run
        Mismatch.objects.bulk_create(found)
        if found or error:
            for user in report_recipients():
                enqueue(
                    TOPIC_REPORT_EMAIL,
                    {"run": run.pk, "user": user.pk},
                    dedupe_key=f"accounting:report:{run.pk}:{user.pk}",
                )
    return run


def reconcile_yesterday(now: datetime | None = None) -> int:
    """Reconcile the spa-local day before ``now`` (the nightly job); return the number of
    mismatches found."""
    now = now or clock_now()
    yesterday = local_date(now, get_settings().zone) - timedelta(days=1)
    return reconcile_day(yesterday, now=now).mismatches.count()


def report_recipients() -> list[User]:
    """Return who gets the report: the users of ``QUICKBOOKS_REPORT_EMAILS`` if set, else
    every active manager."""
    users = User.objects.filter(is_active=True)
    if settings.QUICKBOOKS_REPORT_EMAILS:
        return list(users.filter(email__in=settings.QUICKBOOKS_REPORT_EMAILS))
    return list(users.filter(role=Role.MANAGER))


def report_text(run: ReconciliationRun) -> str:
    """Return the plain-text report of ``run`` (the email body)."""
    lines = [f"Reconciliation of {run.day.isoformat()}: {run.checked} receipt(s) checked."]
    if run.error:
        lines.append(f"The run could not finish: {run.error}")
    for mismatch in run.mismatches.all():
        amounts = ""
        if mismatch.expected is not None:
            amounts += f" expected ${mismatch.expected}"
        if mismatch.actual is not None:
            amounts += f" found ${mismatch.actual}"
        ids = (
            f" (QuickBooks {', '.join(mismatch.quickbooks_ids)})" if mismatch.quickbooks_ids else ""
        )
        what = mismatch.entity or mismatch.reference
        lines.append(f"- {mismatch.get_kind_display()}: {what}{amounts}{ids}")
    return "\n".join(lines) + "\n"
