"""Membership renewals on CoreSync's own PaymentIntents (docs/memberships.md "Renewals"):
billed once per period (the 31st, DST), declines → past due → retries → expired on the
configured days, cancel and downgrade at period end, upgrades now with proration, the first
month paid online, and webhooks delivered twice changing nothing the second time.

Time moves with time-machine; Stripe is the fake API behind ``responses`` (the real SDK)."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from conftest import NEW_YORK, local, make_customer
from coresync.bookings.models import Booking, BookingStatus
from coresync.bookings.services import create_booking
from coresync.memberships.models import (
    Membership,
    MembershipHistory,
    MembershipRenewal,
    MembershipStatus,
    RenewalStatus,
)
from coresync.memberships.selectors import get_customer_access
from coresync.memberships.services import cancel_membership
from coresync.notifications.models import OutboxMessage
from coresync.payments import memberships as payment_memberships
from coresync.payments.memberships import (
    RENEW,
    change_membership_plan,
    join,
    schedule_due_renewals,
)
from coresync.payments.models import Payment, PaymentCustomer, PaymentKind, PaymentStatus
from coresync.payments.tests.support import deliver, make_event
from coresync.spa.selectors import get_settings

pytestmark = pytest.mark.django_db


def member_on(plan, start: date, email: str = "member@example.com", card: bool = True):
    """A member of ``plan`` whose first period started on ``start`` (anchor: its day),
    with a card on file at Stripe when ``card``."""
    from coresync.memberships.billing import first_period

    user = make_customer(email)
    period_start, period_end, anchor = first_period(start)
    membership = Membership.objects.create(
        customer=user,
        plan=plan,
        started_on=start,
        current_period_start=period_start,
        current_period_end=period_end,
        billing_anchor_day=anchor,
        credits_used=2,
    )
    if card:
        PaymentCustomer.objects.create(
            user=user, provider_customer_id=f"cus_{user.pk}", default_payment_method_id="pm_visa"
        )
    return membership


def tick(instant: datetime) -> None:
    """What the scheduler does at ``instant``: the renewal job (write renewals, run the due
    charge jobs)."""
    with time_machine.travel(instant, tick=False):
        payment_memberships.renew_memberships()


def charges(fake_stripe) -> list:
    return [r for r in fake_stripe.intent_requests() if r.params.get("off_session") == "true"]


def emails(kind: str) -> int:
    return OutboxMessage.objects.filter(payload__kind=kind).count()


@pytest.fixture
def renewing(spa, stripe_on, fake_stripe):
    return fake_stripe


def test_a_membership_anchored_on_the_31st_renews_once_on_february_28_and_again_on_march_31(
    spa, renewing
):
    membership = member_on(spa.plans["premium"], date(2027, 1, 31))
    assert membership.current_period_end == date(2027, 2, 28)

    # Every 15 minutes across February 28, and again the next morning
    instant = local(2027, 2, 27, 23, 0)
    while instant < local(2027, 3, 1, 9, 0):
        tick(instant)
        instant += timedelta(minutes=15)

    membership.refresh_from_db()
    assert len(charges(renewing)) == 1
    assert charges(renewing)[0].params["amount"] == "24900"
    assert (membership.current_period_start, membership.current_period_end) == (
        date(2027, 2, 28),
        date(2027, 3, 31),
    )
    assert membership.credits_used == 0  # the new period's credits
    assert MembershipRenewal.objects.get().status == RenewalStatus.SUCCEEDED

    tick(local(2027, 3, 31, 0, 5))
    membership.refresh_from_db()
    assert len(charges(renewing)) == 2
    assert membership.current_period_end == date(2027, 4, 30)
    assert MembershipRenewal.objects.count() == 2


@pytest.mark.parametrize(
    "renewal_day",
    [
        pytest.param(date(2027, 3, 14), id="spring-forward (23-hour day)"),
        pytest.param(date(2027, 11, 7), id="fall-back (25-hour day)"),
    ],
)
def test_a_renewal_across_a_dst_change_bills_once(spa, renewing, renewal_day):
    start = renewal_day.replace(month=renewal_day.month - 1)
    membership = member_on(spa.plans["base"], start)
    assert membership.current_period_end == renewal_day

    # Every 20 minutes of UTC time from the evening before to the morning after: through
    # the missing or repeated hour
    instant = datetime.combine(renewal_day - timedelta(days=1), datetime.min.time(), NEW_YORK)
    instant = instant.replace(hour=18).astimezone(UTC)
    end = instant + timedelta(hours=40)
    ticks = 0
    while instant < end:
        tick(instant)
        instant += timedelta(minutes=20)
        ticks += 1

    membership.refresh_from_db()
    assert ticks == 120
    assert len(charges(renewing)) == 1
    assert Payment.objects.filter(kind=PaymentKind.MEMBERSHIP).count() == 1
    assert membership.current_period_start == renewal_day
    assert membership.current_period_end == renewal_day.replace(month=renewal_day.month + 1)
    assert membership.history.filter(action="membership.renewed").count() == 1


def test_the_renewal_is_not_billed_before_the_spa_local_day(spa, renewing):
    member_on(spa.plans["base"], date(2027, 1, 15))

    tick(local(2027, 2, 14, 23, 59))  # 04:59 UTC on the 15th: still the 14th in New York

    assert charges(renewing) == []
    assert MembershipRenewal.objects.count() == 0


def test_a_declined_renewal_goes_past_due_is_retried_then_expires_on_the_configured_days(
    spa, renewing, settings
):
    settings.MEMBERSHIP_RENEWAL_ATTEMPT_DAYS = [0, 3, 7]
    renewing.decline_off_session = "card_declined"
    membership = member_on(spa.plans["premium"], date(2027, 1, 10))
    customer = membership.customer
    booking = create_booking(
        customer=customer,
        service="swedish",
        start=local(2027, 3, 1, 10),
        now=local(2027, 2, 1, 9),
    )
    spa_settings = get_settings()

    def access_on(day: date):
        return get_customer_access(customer, day, spa_settings)

    # Day 0 (Feb 10): the first attempt is declined → past due, benefits kept
    tick(local(2027, 2, 10, 0, 30))
    membership.refresh_from_db()
    renewal = MembershipRenewal.objects.get()
    assert membership.status == MembershipStatus.PAST_DUE
    assert (renewal.status, renewal.attempts) == (RenewalStatus.RETRYING, 1)
    assert renewal.next_attempt_at == local(2027, 2, 13)
    assert access_on(date(2027, 2, 10)).tier == "premium"
    assert emails("membership_payment_failed") == 1

    # Days 1 and 2: nothing is tried again
    for day in (11, 12):
        tick(local(2027, 2, day, 12))
    assert len(charges(renewing)) == 1

    # Day 3 (Feb 13): the second attempt, declined
    tick(local(2027, 2, 13, 0, 15))
    renewal.refresh_from_db()
    assert len(charges(renewing)) == 2
    assert (renewal.attempts, renewal.next_attempt_at) == (2, local(2027, 2, 17))
    assert emails("membership_payment_failed") == 2

    # Day 6: nothing; day 7 (Feb 17): the last attempt, declined → expired
    tick(local(2027, 2, 16, 23, 45))
    assert len(charges(renewing)) == 2
    tick(local(2027, 2, 17, 0, 15))
    membership.refresh_from_db()
    renewal.refresh_from_db()
    assert len(charges(renewing)) == 3
    assert membership.status == MembershipStatus.EXPIRED
    assert renewal.status == RenewalStatus.FAILED
    assert emails("membership_expired") == 1

    # The member books as a non-member: a window of 3 days; their booking stays
    access = access_on(date(2027, 2, 17))
    assert (access.tier, access.advance_days) == ("non_member", 3)
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CONFIRMED

    # And nothing more is ever charged
    for day in range(18, 28):
        tick(local(2027, 2, day, 1))
    assert len(charges(renewing)) == 3
    assert list(
        membership.history.exclude(action="membership.renewal_failed").values_list(
            "action", "to_status"
        )
    ) == [("membership.past_due", "past_due"), ("membership.expired", "expired")]
    assert membership.history.filter(action="membership.renewal_failed").count() == 3


def test_a_card_fixed_during_the_grace_period_renews_and_the_member_is_active_again(spa, renewing):
    renewing.decline_off_session = "insufficient_funds"
    membership = member_on(spa.plans["vip"], date(2027, 1, 5))

    tick(local(2027, 2, 5, 1))
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.PAST_DUE

    renewing.decline_off_session = None  # the member updated their card
    tick(local(2027, 2, 8, 1))

    membership.refresh_from_db()
    assert membership.status == MembershipStatus.ACTIVE
    assert membership.current_period_end == date(2027, 3, 5)
    assert membership.credits_used == 0
    assert emails("payment_receipt") == 1
    assert [p.status for p in Payment.objects.order_by("pk")] == [
        PaymentStatus.FAILED,
        PaymentStatus.SUCCEEDED,
    ]


def test_without_a_card_on_file_the_renewal_fails_like_a_decline(spa, renewing):
    membership = member_on(spa.plans["base"], date(2027, 1, 5), card=False)

    tick(local(2027, 2, 5, 1))

    membership.refresh_from_db()
    assert membership.status == MembershipStatus.PAST_DUE
    assert "no card" in MembershipRenewal.objects.get().last_error.lower()
    assert charges(renewing) == []


def test_paying_at_the_spa_the_period_and_credits_roll_over_without_a_charge(spa, settings):
    settings.PAYMENT_PROVIDER = "onsite"
    membership = member_on(spa.plans["vip"], date(2027, 1, 5), card=False)

    tick(local(2027, 2, 5, 1))

    membership.refresh_from_db()
    assert (membership.status, membership.current_period_end) == (
        MembershipStatus.ACTIVE,
        date(2027, 3, 5),
    )
    assert membership.credits_used == 0
    assert Payment.objects.count() == 0
    assert membership.history.get(action="membership.renewed").data["paid"] == "at the spa"


def test_a_membership_cancelled_at_period_end_is_not_charged_and_then_ends(spa, renewing):
    membership = member_on(spa.plans["premium"], date(2027, 1, 5))
    with time_machine.travel(local(2027, 1, 20, 12), tick=False):
        cancel_membership(membership.customer)

    tick(local(2027, 2, 5, 1))
    tick(local(2027, 2, 6, 1))

    membership.refresh_from_db()
    assert charges(renewing) == []
    assert membership.status == MembershipStatus.CANCELLED
    assert membership.ends_on == date(2027, 2, 5)
    assert list(membership.history.values_list("action", flat=True)) == [
        "membership.cancel_scheduled",
        "membership.cancelled",
    ]


def test_a_downgrade_waits_for_the_period_end_and_the_renewal_charges_the_new_price(spa, renewing):
    membership = member_on(spa.plans["vip"], date(2027, 1, 5))
    with time_machine.travel(local(2027, 1, 20, 12), tick=False):
        changed = change_membership_plan(membership.customer, spa.plans["base"])
    assert (changed.plan.slug, changed.next_plan.slug) == ("unlimited", "base")

    tick(local(2027, 2, 5, 1))

    membership.refresh_from_db()
    assert charges(renewing)[0].params["amount"] == "14900"
    assert (membership.plan.slug, membership.next_plan) == ("base", None)
    assert list(membership.history.values_list("action", flat=True)) == [
        "membership.downgrade_scheduled",
        "membership.renewed",
        "membership.downgraded",
    ]


def test_an_upgrade_is_charged_now_prorated_and_applies_at_once(spa, renewing):
    membership = member_on(spa.plans["premium"], date(2026, 12, 1))

    with time_machine.travel(local(2026, 12, 16, 12), tick=False):
        changed = change_membership_plan(membership.customer, spa.plans["vip"])

    # (599 − 249) × 16 days left of 31 = 180.645 → 180.65
    assert charges(renewing)[0].params["amount"] == "18065"
    assert (changed.plan.slug, changed.pending_plan) == ("unlimited", None)
    history = membership.history.get(action="membership.upgraded")
    assert (history.from_plan.slug, history.to_plan.slug) == ("premium", "unlimited")
    assert emails("payment_receipt") == 1


def test_a_declined_upgrade_keeps_the_plan(spa, renewing):
    renewing.decline_off_session = "card_declined"
    membership = member_on(spa.plans["premium"], date(2026, 12, 1))

    with time_machine.travel(local(2026, 12, 16, 12), tick=False):
        changed = change_membership_plan(membership.customer, spa.plans["vip"])

    assert (changed.plan.slug, changed.pending_plan) == ("premium", None)
    assert membership.history.filter(action="membership.upgrade_declined").count() == 1


# -- webhooks delivered twice ------------------------------------------------------------


def intent_event(fake_stripe, payment: Payment, event_type: str, event_id: str) -> str:
    intent = dict(fake_stripe.intents[payment.provider_payment_id])
    if event_type == "payment_intent.payment_failed":
        intent["last_payment_error"] = {"code": "card_declined", "message": "Declined."}
    return make_event(event_type, intent, event_id=event_id)


def snapshot(membership: Membership):
    membership.refresh_from_db()
    return (
        membership.status,
        membership.current_period_start,
        membership.current_period_end,
        membership.history.count(),
        MembershipRenewal.objects.filter(membership=membership).values_list(
            "status", "attempts", "next_attempt_at"
        )[0],
        OutboxMessage.objects.count(),
        Payment.objects.filter(status=PaymentStatus.SUCCEEDED).count(),
    )


def test_a_renewal_success_webhook_delivered_twice_changes_nothing_the_second_time(
    spa, renewing, api
):
    membership = member_on(spa.plans["premium"], date(2027, 1, 5))
    tick(local(2027, 2, 5, 1))
    payment = Payment.objects.get()
    body = intent_event(renewing, payment, "payment_intent.succeeded", "evt_renewal_paid")

    with time_machine.travel(local(2027, 2, 5, 1, 5), tick=False):
        first = deliver(api, body)
        after_first = snapshot(membership)
        second = deliver(api, body)
        # Stripe may also send the same news as a new event
        third = deliver(
            api, intent_event(renewing, payment, "payment_intent.succeeded", "evt_other_id")
        )

    assert first.status_code == second.status_code == third.status_code == 200
    assert second.json()["status"] == "duplicate"
    assert snapshot(membership) == after_first
    assert membership.history.filter(action="membership.renewed").count() == 1


def test_a_renewal_decline_webhook_delivered_twice_changes_nothing_the_second_time(
    spa, renewing, api
):
    renewing.decline_off_session = "card_declined"
    membership = member_on(spa.plans["premium"], date(2027, 1, 5))
    tick(local(2027, 2, 5, 1))
    payment = Payment.objects.get()
    before = snapshot(membership)

    with time_machine.travel(local(2027, 2, 5, 1, 5), tick=False):
        for event_id in ("evt_declined", "evt_declined", "evt_declined_again"):
            body = intent_event(renewing, payment, "payment_intent.payment_failed", event_id)
            assert deliver(api, body).status_code == 200
            assert snapshot(membership) == before

    assert MembershipRenewal.objects.get().attempts == 1
    assert OutboxMessage.objects.filter(topic=RENEW).count() == 2  # attempts 1 and 2


def test_the_first_month_paid_online_starts_the_membership_once(spa, renewing, api, customer):
    with time_machine.travel(local(2026, 12, 31, 15), tick=False):
        membership, start = join(customer, spa.plans["premium"])
        assert membership.status == MembershipStatus.PENDING
        assert start.client_secret.startswith("pi_")
        payment = Payment.objects.get()
        renewing.set_intent_status(
            payment.provider_payment_id, "succeeded", payment_method="pm_card_visa"
        )
        body = intent_event(renewing, payment, "payment_intent.succeeded", "evt_first")
        deliver(api, body)
        after_first = snapshot_first(membership)
        deliver(api, body)
        deliver(api, intent_event(renewing, payment, "payment_intent.succeeded", "evt_first_2"))

    membership.refresh_from_db()
    assert snapshot_first(membership) == after_first
    assert membership.status == MembershipStatus.ACTIVE
    assert (membership.started_on, membership.billing_anchor_day) == (date(2026, 12, 31), 31)
    assert membership.current_period_end == date(2027, 1, 31)
    assert PaymentCustomer.objects.get(user=customer).default_payment_method_id == "pm_card_visa"
    assert emails("membership_welcome") == 1
    assert emails("payment_receipt") == 1
    assert list(membership.history.values_list("action", flat=True)) == [
        "membership.subscribed",
        "membership.activated",
    ]


def snapshot_first(membership: Membership):
    membership.refresh_from_db()
    return (
        membership.status,
        membership.current_period_end,
        membership.history.count(),
        OutboxMessage.objects.count(),
    )


def test_the_renewal_row_is_unique_per_membership_and_period(spa, renewing):
    from django.db import IntegrityError, transaction

    membership = member_on(spa.plans["base"], date(2027, 1, 5))
    with time_machine.travel(local(2027, 2, 5, 1), tick=False):
        schedule_due_renewals()
        renewal = MembershipRenewal.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipRenewal.objects.create(
            membership=membership,
            period_start=renewal.period_start,
            period_end=renewal.period_end,
            plan=renewal.plan,
            amount=Decimal("149.00"),
        )


def test_every_change_is_in_the_membership_history(spa, renewing):
    membership = member_on(spa.plans["premium"], date(2026, 12, 1))
    with time_machine.travel(local(2026, 12, 10, 12), tick=False):
        change_membership_plan(membership.customer, spa.plans["base"])  # downgrade scheduled
        change_membership_plan(membership.customer, spa.plans["premium"])  # withdrawn
        cancel_membership(membership.customer)

    assert list(MembershipHistory.objects.values_list("action", flat=True)) == [
        "membership.downgrade_scheduled",
        "membership.plan_change_withdrawn",
        "membership.cancel_scheduled",
    ]


def test_a_past_due_member_who_cancels_ends_now_and_is_not_charged_again(spa, renewing):
    renewing.decline_off_session = "card_declined"
    membership = member_on(spa.plans["premium"], date(2027, 1, 10))
    tick(local(2027, 2, 10, 0, 30))
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.PAST_DUE

    with time_machine.travel(local(2027, 2, 11, 12), tick=False):
        cancel_membership(membership.customer)
    for day in (13, 17):
        tick(local(2027, 2, day, 1))

    membership.refresh_from_db()
    assert (membership.status, membership.ends_on) == (
        MembershipStatus.CANCELLED,
        date(2027, 2, 10),
    )
    assert MembershipRenewal.objects.get().status == RenewalStatus.SKIPPED
    assert len(charges(renewing)) == 1


def test_a_cancellation_before_the_first_attempt_runs_charges_nothing(spa, renewing):
    membership = member_on(spa.plans["premium"], date(2027, 1, 10))
    with time_machine.travel(local(2027, 2, 10, 0, 1), tick=False):
        schedule_due_renewals()  # the renewal is written, its job not run yet
        cancel_membership(membership.customer)
    tick(local(2027, 2, 10, 0, 30))

    assert charges(renewing) == []
    assert MembershipRenewal.objects.get().status == RenewalStatus.SKIPPED


def test_a_plan_changed_before_the_first_payment_is_paid_at_the_new_price(spa, renewing, customer):
    with time_machine.travel(local(2026, 12, 31, 15), tick=False):
        join(customer, spa.plans["premium"])
        membership, start = join(customer, spa.plans["base"])

    assert (membership.plan.slug, start.amount) == ("base", Decimal("149.00"))
    premium, base = Payment.objects.order_by("pk")
    assert (premium.status, base.status) == (PaymentStatus.CANCELED, PaymentStatus.PENDING)
    assert renewing.intents[premium.provider_payment_id]["status"] == "canceled"
