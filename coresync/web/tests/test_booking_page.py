"""The booking page without a browser: each step opens after the one before, choices that no
longer hold are dropped with a message, and confirming books through ``create_booking``."""

from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.utils.html import escape

from conftest import add_hours, local, make_customer
from coresync.bookings.models import Booking, BookingStatus
from coresync.bookings.services import create_booking
from coresync.memberships.models import TierPrice
from coresync.resources.models import SlotHold, Technician

pytestmark = pytest.mark.django_db

START = local(2026, 12, 2, 10)  # the day after the frozen "now" (Tue 2026-12-01 08:00)


def book_url(**params) -> str:
    pairs = []
    for name, value in params.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((name, item))
    return "/book/?" + urlencode(pairs)


def ready_params(**overrides) -> dict:
    params = {
        "service": "swedish",
        "duration": "60",
        "guests": "1",
        "date": "2026-12-02",
        "start": START.isoformat(),
        "technician": "any",
    }
    params.update(overrides)
    return params


def test_the_treatment_step_lists_services_without_prices(client, spa, frozen_now):
    page = client.get("/book/").content.decode()
    assert 'name="service" value="swedish"' in page
    assert "Steam Room" in page
    assert "$100.00" not in page and "100.00" not in page
    assert 'id="step-date"' not in page


def test_choosing_a_service_opens_the_two_month_calendar(client, spa, frozen_now):
    page = client.get(book_url(service="swedish")).content.decode()
    assert 'id="step-date"' in page
    assert "December 2026" in page and "January 2027" in page
    assert 'data-date="2026-12-02" data-state="available"' in page
    # Ten days out is in the priority period: members only for a guest, not bookable.
    assert 'data-date="2026-12-11" data-state="members_only"' in page
    assert "See membership plans" in page


def test_a_guest_picking_a_members_only_day_is_told_why_and_stays_on_the_date(
    client, spa, frozen_now
):
    page = client.get(book_url(service="swedish", date="2026-12-11")).content.decode()
    assert "members&#x27; priority period" in page
    assert "Without a membership you can book up to 3 days ahead" in page
    assert 'id="step-time"' not in page
    assert 'href="/membership/"' in page


def test_a_day_opens_its_times_and_a_time_opens_the_therapists(client, spa, frozen_now):
    page = client.get(book_url(service="swedish", date="2026-12-02")).content.decode()
    assert f'value="{START.isoformat()}"' in page  # 10:00 local, offset included
    page = client.get(
        book_url(service="swedish", date="2026-12-02", start=START.isoformat())
    ).content.decode()
    assert 'value="any"' in page and 'value="ana"' in page and 'value="ben"' in page


def test_with_every_choice_made_the_quote_and_confirm_show(client, spa, customer, frozen_now):
    client.force_login(customer)
    page = client.get(book_url(**ready_params(addons="hot-stones"))).content.decode()
    assert 'id="step-confirm"' in page
    assert "Hot Stones" in page
    # 100.00 + 35.00 = 135.00, tax 8.875% = 11.98, total 146.98
    assert "$146.98" in page
    assert 'id="confirm-booking"' in page


def test_a_premium_member_sees_the_discount_line(client, spa, premium_member, frozen_now):
    client.force_login(premium_member)
    params = ready_params(date="2027-01-15", start=local(2027, 1, 15, 10).isoformat())
    page = client.get(book_url(**params, addons="cbd-oil")).content.decode()
    assert "Premium discount (40%)" in page
    assert "−$40.00" in page
    # 100 - 40 + 25 = 85.00, tax 7.54, total 92.54
    assert "$92.54" in page


def test_htmx_requests_get_only_the_flow_and_history_restores_get_the_page(client, spa, frozen_now):
    partial = client.get(book_url(service="swedish"), headers={"HX-Request": "true"})
    assert partial.content.decode().lstrip().startswith('<div id="flow"')
    restore = client.get(
        book_url(service="swedish"),
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<!doctype html>" in restore.content.decode()


def test_an_add_on_that_makes_the_time_too_long_drops_the_time_with_a_message(
    client, spa, frozen_now
):
    # 16:00 + 60 + 15 min hot stones + 15 min buffer ends 17:30, after the 17:00 shift end.
    late = local(2026, 12, 2, 16)
    page = client.get(
        book_url(**ready_params(start=late.isoformat(), addons="hot-stones"))
    ).content.decode()
    assert "4:00 PM is no longer available" in page
    assert 'id="step-time"' in page and 'id="confirm-booking"' not in page


def test_a_technician_who_is_busy_then_is_refused(client, spa, frozen_now):
    other = make_customer("other@example.com")
    create_booking(customer=other, service="swedish", start=START, technician="ana")
    page = client.get(book_url(**ready_params(technician="ana"))).content.decode()
    assert "Sorry, Ana is not free at 10:00 AM" in page
    assert 'value="ben"' in page and 'value="ana"' not in page


def test_an_anonymous_guest_confirming_is_sent_to_sign_in_with_the_choices(client, spa, frozen_now):
    page = client.get(book_url(**ready_params())).content.decode()
    assert "Sign in or create an account to confirm" in page
    response = client.post("/book/confirm/", ready_params())
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/?next=%2Fbook%2F%3Fservice%3Dswedish")


def test_confirming_books_once_even_if_sent_twice(client, spa, customer, frozen_now):
    client.force_login(customer)
    form = {**ready_params(pressure="firm"), "idempotency_key": "k-1", "notes": "Bad knee"}
    first = client.post("/book/confirm/", form)
    second = client.post("/book/confirm/", form)
    booking = Booking.objects.get()
    assert first["Location"] == second["Location"] == f"/book/done/{booking.reference}/"
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.preferences == {"pressure": "firm"}
    assert booking.notes == "Bad knee"
    assert booking.total == Decimal("108.88")
    done = client.get(first["Location"]).content.decode()
    assert booking.reference in done and "Your booking is confirmed" in done


def test_a_slot_taken_before_confirm_shows_a_clear_message_and_fresh_times(
    client, spa, customer, frozen_now
):
    rival = make_customer("rival@example.com")
    # Both therapists are booked at 10:00 by someone else meanwhile.
    create_booking(customer=rival, service="swedish", start=START)
    create_booking(customer=rival, service="swedish", start=START, guest_name="A friend")
    client.force_login(customer)
    response = client.post("/book/confirm/", {**ready_params(), "idempotency_key": "k-2"})
    assert response.status_code == 409
    page = response.content.decode()
    assert "Sorry, 10:00 AM is no longer available" in page
    assert 'id="step-time"' in page
    assert local(2026, 12, 2, 11, 30).isoformat() in page  # still free: offered again
    assert Booking.objects.filter(customer=customer).count() == 0


def test_a_self_guided_service_has_no_therapist_step(client, spa, customer, frozen_now):
    client.force_login(customer)
    params = ready_params(service="steam", duration="30", technician="")
    page = client.get(book_url(**params)).content.decode()
    assert "Therapist" not in page
    assert 'id="confirm-booking"' in page


def test_a_couples_booking_carries_two_guests(client, spa, customer, frozen_now):
    client.force_login(customer)
    params = ready_params(service="couples", guests="2")
    page = client.get(book_url(**params)).content.decode()
    assert "2 guests" in page
    response = client.post("/book/confirm/", {**params, "idempotency_key": "k-3"})
    booking = Booking.objects.get()
    assert response.status_code == 302 and booking.guests == 2
    assert booking.room == spa.couples_suite


def test_saved_preferences_are_the_defaults_and_can_be_cleared(client, spa, customer, frozen_now):
    customer.preferences = {"music": "jazz", "pressure": "light"}
    customer.save()
    client.force_login(customer)
    page = client.get(book_url(**ready_params())).content.decode()
    assert '<option value="jazz" selected>' in page
    page = client.get(book_url(**ready_params(music=""))).content.decode()
    assert '<option value="jazz" selected>' not in page
    assert '<option value="light" selected>' in page
    assert '<input type="hidden" name="music" value="">' in page  # kept cleared at confirm
    client.post("/book/confirm/", {**ready_params(music=""), "idempotency_key": "k-4"})
    assert Booking.objects.get().preferences == {"pressure": "light"}


def test_unknown_or_broken_parameters_never_fail(client, spa, frozen_now):
    for params in (
        {"service": "nope"},
        {"service": "swedish", "duration": "abc", "guests": "x", "date": "2026-13-45"},
        {"service": "swedish", "date": "2026-12-02", "start": "10:00"},
        {"service": "swedish", "month": "2099-01"},
        {"service": "swedish", "date": "2026-11-01"},
    ):
        assert client.get(book_url(**params)).status_code == 200


def test_confirming_shares_the_hourly_booking_budget_with_the_api(
    client, spa, customer, frozen_now
):
    # Given a customer who has used 29 of their 30 attempts an hour through the API
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(customer)
    for number in range(29):
        api.post(
            "/api/v1/bookings/",
            {"service": "swedish", "start": "2026-12-02T10:00:00-05:00"},
            format="json",
            HTTP_IDEMPOTENCY_KEY=f"api-{number}",
        )
    booked_before = Booking.objects.filter(customer=customer).count()
    client.force_login(customer)

    # When they confirm twice on the site
    free = local(2026, 12, 2, 11, 30).isoformat()
    thirtieth = client.post(
        "/book/confirm/", {**ready_params(start=free), "idempotency_key": "web-1"}
    )
    later = local(2026, 12, 2, 14).isoformat()
    thirty_first = client.post(
        "/book/confirm/", {**ready_params(start=later), "idempotency_key": "web-2"}
    )

    # Then the 30th books and the 31st is refused with a clear message and Retry-After
    assert thirtieth.status_code == 302
    assert thirty_first.status_code == 429
    assert thirty_first["Retry-After"] == "3600"
    page = thirty_first.content.decode()
    assert "Please try again in 60 minutes" in page
    assert 'data-open-step="confirm"' in page  # focus goes to the message, at the button
    assert Booking.objects.filter(customer=customer).count() == booked_before + 1
    assert not Booking.objects.filter(customer=customer, start=local(2026, 12, 2, 14)).exists()


def test_nul_characters_in_any_parameter_never_fail_or_reach_the_database(
    client, spa, customer, frozen_now
):
    # PostgreSQL stores NUL in neither text nor jsonb: each parameter gets one in turn.
    client.force_login(customer)
    form = {**ready_params(pressure="firm", addons="hot-stones"), "notes": "Quiet"}
    outcomes = {}
    for index, name in enumerate([*form, "idempotency_key"]):
        start = local(2026, 12, 2, 9) + timedelta(minutes=75 * (index // 2))  # 2 therapists
        poisoned = {**form, "start": start.isoformat(), "idempotency_key": f"nul-{name}"}
        poisoned[name] = f"{poisoned[name]}\x00"

        page = client.get(book_url(**poisoned))
        confirmed = client.post("/book/confirm/", poisoned)

        assert page.status_code == 200, name
        outcomes[name] = confirmed.status_code
    # A choice that cannot be read is dropped (its step asks again: 409), one that is still
    # read (a start, a preference falls back to the saved one) books without the NUL, and
    # free text with a NUL is refused with a message (400).
    assert outcomes == {
        "service": 409,
        "duration": 302,
        "guests": 302,
        "date": 409,
        "start": 302,
        "technician": 409,
        "pressure": 302,
        "addons": 409,
        "notes": 400,
        "idempotency_key": 400,
    }
    for booking in Booking.objects.all():
        assert "\x00" not in f"{booking.notes}{booking.preferences}{booking.idempotency_key}"


def test_the_done_page_has_calendar_address_arrival_wishes_and_email_but_no_room(
    client, spa, customer, frozen_now, settings
):
    client.force_login(customer)
    form = {**ready_params(pressure="firm"), "idempotency_key": "k-done", "notes": "Bad knee"}
    response = client.post("/book/confirm/", form)
    booking = Booking.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert f'href="/account/bookings/{booking.reference}/invite.ics"' in page
    assert "Add to calendar" in page
    assert escape(settings.SPA_ADDRESS) in page and escape(settings.SPA_PARKING) in page
    assert escape(settings.SPA_WHAT_TO_BRING) in page
    assert "Pressure: Firm" in page and "Bad knee" in page
    assert "We've emailed you the confirmation at <strong>guest@example.com</strong>." in page
    assert booking.room.name not in page


def test_a_couples_service_is_for_two_guests_by_default(client, spa, frozen_now):
    page = client.get(book_url(service="couples")).content.decode()
    assert '<option value="2" selected>2</option>' in page
    assert "Couples Massage, 60 min, 2 guests" in page


def test_a_couple_picks_a_therapist_for_each_guest_and_sees_both_everywhere(
    client, spa, customer, frozen_now
):
    client.force_login(customer)
    params = ready_params(service="couples", guests="2", technician="")
    page = client.get(book_url(**params)).content.decode()
    assert "Therapist for guest 1" in page and "Therapist for guest 2" in page
    assert 'name="second_technician" value="ben"' in page
    params = ready_params(service="couples", guests="2", technician="ben", second_technician="ana")
    page = client.get(book_url(**params)).content.decode()
    assert "Guest 1: Ben; guest 2: Ana" in page and 'id="confirm-booking"' in page
    response = client.post("/book/confirm/", {**params, "idempotency_key": "k-couple"})
    booking = Booking.objects.get()
    assert {a.technician.slug for a in booking.allocations.all() if a.technician_id} == {
        "ana",
        "ben",
    }
    done = client.get(response["Location"]).content.decode()
    assert "<dd data-therapists>Ana, Ben</dd>" in done
    account = client.get("/account/").content.decode()
    assert "<span data-therapists>Ana, Ben</span>" in account
    detail = client.get(f"/account/bookings/{booking.reference}/").content.decode()
    assert "<dd data-therapists>Ana, Ben</dd>" in detail


def test_a_couple_cannot_pick_one_therapist_twice_or_a_busy_one(client, spa, customer, frozen_now):
    same = ready_params(service="couples", guests="2", technician="ben", second_technician="ben")
    page = client.get(book_url(**same)).content.decode()
    assert "Choose a different therapist for each guest." in page
    assert 'id="confirm-booking"' not in page
    cleo = Technician.objects.create(slug="cleo", name="Cleo", skills=["massage"])
    add_hours(cleo, "09:00", "17:00")
    rival = make_customer("rival@example.com")
    create_booking(customer=rival, service="swedish", start=START, technician="ana")
    busy = ready_params(service="couples", guests="2", technician="ana", second_technician="any")
    page = client.get(book_url(**busy)).content.decode()
    assert "Sorry, Ana is not free at 10:00 AM" in page
    client.force_login(customer)
    response = client.post("/book/confirm/", {**busy, "idempotency_key": "k-busy"})
    assert response.status_code == 409
    assert not Booking.objects.filter(customer=customer).exists()


def test_a_guest_is_told_the_real_windows_of_each_plan(client, spa, frozen_now):
    page = client.get(book_url(service="swedish", date="2026-12-11")).content.decode()
    assert (
        "Friday, December 11 is in the members&#x27; priority period: Base members book up"
        " to 30 days ahead, Premium 60, Unlimited 90." in page
    )
    assert "members book up to 90 days ahead" not in page
    calendar = client.get(book_url(service="swedish")).content.decode()
    assert "Base members book up to 30 days ahead, Premium 60, Unlimited 90." in calendar


def test_a_member_sees_where_their_window_ends_and_what_books_further(
    client, spa, base_member, frozen_now
):
    client.force_login(base_member)
    page = client.get(book_url(service="swedish", month="2026-12")).content.decode()
    assert "Your Base plan books 30 days ahead: until Thursday, December 31." in page
    assert "Premium books 60." in page and 'href="/membership/"' in page
    assert 'data-date="2026-12-31" data-state="members_only" class="day day--members_only' in page
    assert "day--window-end" in page
    assert "Thursday, December 31: members only, available to you, the last day" in page
    page = client.get(book_url(service="swedish", month="2027-01")).content.decode()
    assert 'data-date="2027-01-05" data-state="beyond_plan"' in page
    page = client.get(book_url(service="swedish", date="2027-01-05")).content.decode()
    assert (
        "Tuesday, January 5 is past the end of your window: your Base plan books 30 days"
        " ahead — Premium books 60." in page
    )
    assert 'href="/membership/"' in page and 'id="step-time"' not in page


def test_priority_times_are_marked_as_a_member_perk(client, spa, premium_member, frozen_now):
    SlotHold.objects.create(
        level="priority",
        starts_at=local(2026, 12, 2, 10),
        ends_at=local(2026, 12, 2, 11),
        held_until=local(2026, 12, 2, 0),
    )
    guest_page = client.get(book_url(service="swedish", date="2026-12-02")).content.decode()
    assert "Member perk" not in guest_page
    client.force_login(premium_member)
    page = client.get(book_url(service="swedish", date="2026-12-02")).content.decode()
    ten = page[page.index(f'value="{START.isoformat()}"') - 60 :][:400]
    assert "time--perk" in ten and "Member perk" in ten
    later = local(2026, 12, 2, 11, 30).isoformat()
    assert "time--perk" not in page[page.index(f'value="{later}"') - 60 :][:200]


def test_a_tier_price_reads_as_a_member_saving_not_a_base_price(
    client, spa, base_member, frozen_now
):
    TierPrice.objects.create(service=spa.swedish, tier="base", minutes=60, price="70.00")
    client.force_login(base_member)
    page = client.get(book_url(**ready_params())).content.decode()
    assert "Base member saving</th><td>−$30.00" in page
    assert "Base price" not in page


def test_a_second_booking_at_the_same_time_is_refused_unless_it_is_for_someone_else(
    client, spa, customer, frozen_now
):
    # given the customer already has a steam session at 10:00
    steam = create_booking(customer=customer, service="steam", start=START)
    client.force_login(customer)

    # when they confirm a massage at 10:00 for themself
    refused = client.post("/book/confirm/", {**ready_params(), "idempotency_key": "k-5"})

    # then a clear message, and nothing booked
    assert refused.status_code == 409
    page = refused.content.decode()
    assert f"You already have a booking at this time ({steam.reference})" in page
    assert "Booking for someone else?" in page
    assert Booking.objects.filter(customer=customer).count() == 1

    # when the massage is for a friend, named on the details step
    details = client.get(book_url(**ready_params(guest_name="Maya Lopez"))).content.decode()
    assert 'name="guest_name" id="guest-name"' in details and 'value="Maya Lopez"' in details
    assert "For Maya Lopez" in details or "<dd>Maya Lopez</dd>" in details
    booked = client.post(
        "/book/confirm/", {**ready_params(guest_name="Maya Lopez"), "idempotency_key": "k-6"}
    )

    # then it is booked for her
    assert booked.status_code == 302
    gift = Booking.objects.exclude(pk=steam.pk).get(customer=customer)
    assert gift.guest_name == "Maya Lopez" and gift.start == START
