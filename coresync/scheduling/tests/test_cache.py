"""The availability cache: each kind of change is seen by the next listing, the clock's rules
apply to cached days, a cache that fails or forgets degrades to fresh answers, and a cached
listing reads nothing from the database."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import transaction

from conftest import local
from coresync.bookings.services import cancel_booking, create_booking
from coresync.catalog.models import PeakPricingWindow, ServiceVariant
from coresync.catalog.services import deactivate_service
from coresync.memberships.models import TierPrice
from coresync.memberships.selectors import get_customer_access, non_member_access
from coresync.memberships.services import update_plan
from coresync.resources.models import SlotHold
from coresync.resources.services import (
    add_room_maintenance,
    add_technician_exception,
    deactivate_technician,
    delete_exception,
    replace_technician_schedules,
)
from coresync.scheduling import cache as availability_cache
from coresync.scheduling.selectors import (
    build_availability_request,
    compute_availability,
    get_availability,
    list_availability,
    offer_rows,
)
from coresync.spa.models import SpaSettings
from coresync.spa.selectors import get_settings

pytestmark = pytest.mark.django_db

DECEMBER_2 = date(2026, 12, 2)


def listed(access=None, *, service="swedish", first=DECEMBER_2, days=1):
    """List through the cache and check the answer against a fresh computation."""
    from coresync.core.clock import now

    instant = now()
    access = access or non_member_access(get_settings())
    last = first + timedelta(days=days - 1)
    rows = list_availability(
        service_slug=service, date_from=first, date_to=last, access=access, now=instant
    ).rows
    request = build_availability_request(service_slug=service, date_from=first, date_to=last)
    offers = compute_availability(request, access, now=instant)
    assert rows == offer_rows(offers, get_settings().zone)
    assert get_availability(request, access, now=instant) == offers
    return offers


def starts(offers):
    return [offer.slot.start for offer in offers]


def totals(offers):
    return {str(offer.quote.total) for offer in offers}


def test_a_repeated_listing_is_served_from_the_cache_without_queries(
    spa, frozen_now, django_assert_num_queries
):
    first = listed()
    access = non_member_access(get_settings())

    with django_assert_num_queries(1):  # the settings row (a request reads it cached)
        again = list_availability(
            service_slug="swedish",
            date_from=DECEMBER_2,
            date_to=DECEMBER_2,
            access=access,
            now=frozen_now,
        )

    assert again.rows == offer_rows(first, get_settings().zone)
    assert again.service_slug == "swedish" and again.minutes == 60


def test_a_booking_removes_its_slot_and_a_cancellation_brings_it_back(spa, customer, frozen_now):
    before = listed()
    booking = create_booking(customer=customer, service="swedish", start=local(2026, 12, 2, 9))

    after_booking = listed()
    cancel_booking(booking, actor=customer)
    after_cancel = listed()

    assert after_booking != before  # Ana is busy at 09:00: Ben is offered instead
    assert [offer.slot.technician_slugs for offer in after_booking[:1]] == [("ben",)]
    assert after_cancel == before


def test_a_payment_hold_frees_its_slot_when_it_runs_out_without_any_write(
    spa, customer, time_machine
):
    time_machine.move_to(local(2026, 12, 1, 8), tick=False)
    before = listed()
    create_booking(
        customer=customer, service="swedish", start=local(2026, 12, 2, 9), awaiting_payment=True
    )
    held = listed()

    time_machine.move_to(local(2026, 12, 1, 8, 16), tick=False)  # the 15-minute hold is over

    assert held != before
    assert listed() == before


def test_technician_exceptions_and_room_maintenance_change_the_days_they_cover(spa, frozen_now):
    before = listed(days=3)

    exception = add_technician_exception(spa.ana, {"date": "2026-12-03", "kind": "day_off"})
    without_ana = listed(days=3)
    add_room_maintenance(spa.suite, {"date": "2026-12-02", "start": "09:00", "end": "12:00"})
    with_maintenance = listed(days=3)
    delete_exception(exception)

    assert without_ana != before
    assert with_maintenance != without_ana
    assert listed(days=3) != before  # the maintenance is still there


def test_a_slot_hold_hides_its_time_from_callers_who_may_not_use_it(spa, frozen_now, vip_member):
    before = listed()
    SlotHold.objects.create(
        level="vip",
        starts_at=local(2026, 12, 2, 9),
        ends_at=local(2026, 12, 2, 12),
        held_until=local(2026, 12, 1, 20),
    )
    vip = get_customer_access(vip_member, frozen_now.date(), get_settings())

    assert len(listed()) < len(before)
    assert any(offer.slot.member_only for offer in listed(vip))


def test_schedules_deactivation_prices_plans_and_settings_bump_every_listing(
    spa, frozen_now, base_member
):
    base = get_customer_access(base_member, frozen_now.date(), get_settings())
    listed(base)
    original = listed()

    replace_technician_schedules(
        spa.ana, [{"weekly_hours": {day: [["12:00", "14:00"]] for day in ("wed", "thu")}}]
    )
    new_hours = listed()
    deactivate_technician(spa.ben)
    without_ben = listed()
    variant = ServiceVariant.objects.get(service=spa.swedish, minutes=60)
    variant.price = Decimal("120.00")
    variant.save()
    repriced = listed()
    TierPrice.objects.create(service=spa.swedish, tier="base", minutes=60, price=Decimal("50"))
    tier_priced = listed(base)
    PeakPricingWindow.objects.create(
        days=[2], start=time(12), end=time(14), modifier_percent=Decimal("20")
    )
    peak = listed()
    update_plan(spa.plans["base"], {"discount_percent": "35"})
    listed(base)
    settings_row = SpaSettings.objects.get(pk=1)
    settings_row.min_notice_minutes = 60 * 30
    settings_row.save()

    assert new_hours != original and without_ben != new_hours
    assert totals(repriced) == {"130.65"}  # 120.00 + 8.875 % tax
    assert totals(tier_priced) == {"54.44"}
    assert totals(peak) == {"156.78"}  # Ana's new hours lie inside the peak window
    assert listed() == []  # 30 hours' notice: nothing on December 2 before 14:00 is left


def test_deactivating_a_service_refuses_the_next_listing(spa, frozen_now):
    from coresync.core.errors import InvalidInput

    listed()
    deactivate_service(spa.swedish)

    with pytest.raises(InvalidInput):
        list_availability(
            service_slug="swedish",
            date_from=DECEMBER_2,
            date_to=DECEMBER_2,
            access=non_member_access(get_settings()),
            now=frozen_now,
        )


def test_the_clock_moves_the_minimum_notice_and_the_priority_period_over_cached_days(
    spa, premium_member, time_machine
):
    time_machine.move_to(local(2026, 12, 1, 8), tick=False)
    access = get_customer_access(premium_member, date(2026, 12, 1), get_settings())
    week = listed(access, first=date(2026, 12, 1), days=7)
    time_machine.move_to(local(2026, 12, 2, 10, 5), tick=False)
    access = get_customer_access(premium_member, date(2026, 12, 2), get_settings())

    later = listed(access, first=date(2026, 12, 1), days=7)

    assert later != week
    assert min(starts(later)) >= local(2026, 12, 2, 12, 5)  # 120 minutes' notice
    member_only_days = {offer.slot.local_date for offer in later if offer.slot.member_only}
    assert min(member_only_days) == date(2026, 12, 6)


def test_a_bump_happens_again_after_commit(spa, django_capture_on_commit_callbacks):
    key = availability_cache.day_key(DECEMBER_2)
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        availability_cache.invalidate_days(DECEMBER_2, DECEMBER_2)
        inside = cache.get(key)

    assert inside is not None
    assert len(callbacks) == 1
    callbacks[0]()
    assert cache.get(key) not in (None, inside)


def test_a_forgotten_version_never_revives_an_old_entry(spa, customer, frozen_now):
    before = listed()
    create_booking(customer=customer, service="swedish", start=local(2026, 12, 2, 9))
    cache.delete(availability_cache.day_key(DECEMBER_2))  # evicted, say

    assert listed() != before


def test_a_listing_inside_a_transaction_reads_the_database(
    spa, frozen_now, django_assert_num_queries
):
    listed()
    with transaction.atomic(), django_assert_num_queries(15):
        list_availability(
            service_slug="swedish",
            date_from=DECEMBER_2,
            date_to=DECEMBER_2,
            access=non_member_access(get_settings()),
            now=frozen_now,
        )


def test_a_failing_cache_degrades_to_fresh_listings_and_retries_its_bumps(
    spa, customer, frozen_now
):
    before = listed()
    broken = mock.patch.object(
        availability_cache, "_cache", side_effect=ConnectionError("cache down")
    )
    with broken:
        create_booking(customer=customer, service="swedish", start=local(2026, 12, 2, 9))
        during = listed()

    assert during != before
    assert listed() == during  # the missed bump was retried before the next read


@pytest.mark.parametrize("cache_on", [True, False])
def test_the_api_answer_is_the_rendered_fresh_listing(spa, frozen_now, settings, cache_on):
    from rest_framework.renderers import JSONRenderer
    from rest_framework.test import APIClient

    from coresync.scheduling.api.views import _slot_json

    settings.AVAILABILITY_CACHE = cache_on
    client = APIClient()
    url = "/api/v1/availability/?service=swedish&date_from=2026-12-01&date_to=2026-12-07"
    client.get(url)  # fills the cache when it is on

    response = client.get(url)
    indented = client.get(url, HTTP_ACCEPT="application/json; indent=2")

    request = build_availability_request(
        service_slug="swedish", date_from=date(2026, 12, 1), date_to=date(2026, 12, 7)
    )
    offers = compute_availability(request, non_member_access(get_settings()), now=frozen_now)
    document = {
        "timezone": "America/New_York",
        "service": "swedish",
        "duration": 60,
        "slots": [_slot_json(row) for row in offer_rows(offers, get_settings().zone)],
    }
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert response.content == JSONRenderer().render(document)
    assert indented.content == JSONRenderer().render(document, "application/json; indent=2")


def test_changes_at_the_ends_of_the_calendar_or_over_years_bump_safely(spa, frozen_now):
    before = listed()
    add_room_maintenance(spa.suite, {"date": "0001-01-01"})
    add_room_maintenance(spa.suite, {"date": "9999-12-31"})
    availability_cache.invalidate_interval(
        datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)
    )
    add_technician_exception(
        spa.ana, {"date": "2026-12-02", "end_date": "2030-12-31", "kind": "vacation"}
    )

    assert listed() != before
