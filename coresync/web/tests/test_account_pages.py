"""My account: bookings with cancel (policy outcome first) and reschedule, membership,
preferences, notification settings, data export and deletion."""

import json
from datetime import date, timedelta
from urllib.parse import quote

import pytest
import time_machine

from conftest import local, make_customer
from coresync.accounts.models import User
from coresync.bookings.access import booking_access_token
from coresync.bookings.models import BookingStatus
from coresync.bookings.services import cancel_booking, create_booking
from coresync.memberships.models import Membership
from coresync.memberships.services import activate_membership
from factories import BookingFactory

pytestmark = pytest.mark.django_db

START = local(2026, 12, 3, 10)


@pytest.fixture
def booking(spa, customer, frozen_now):
    return BookingFactory(customer=customer, start=START)


def test_account_needs_sign_in(client, spa):
    response = client.get("/account/")
    assert response.status_code == 302 and response["Location"] == "/account/login/?next=/account/"


def test_upcoming_and_past_bookings_with_what_can_still_be_done(
    client, spa, customer, booking, frozen_now
):
    client.force_login(customer)
    page = client.get("/account/").content.decode()
    assert booking.reference in page
    assert f"/account/bookings/{booking.reference}/cancel/" in page
    assert f"/account/bookings/{booking.reference}/reschedule/" in page
    assert "Nothing yet." in page  # no past bookings


def test_cancel_shows_the_free_outcome_before_confirming(
    client, spa, customer, booking, frozen_now
):
    client.force_login(customer)
    page = client.get(f"/account/bookings/{booking.reference}/cancel/").content.decode()
    assert "Cancelling now is free (free until Wednesday, December 2, 10:00 AM)." in page
    response = client.post(f"/account/bookings/{booking.reference}/cancel/")
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED and booking.cancellation_fee == 0


def test_cancel_inside_the_window_shows_the_fee_first(client, spa, customer, booking):
    client.force_login(customer)
    with time_machine.travel(START - timedelta(hours=3), tick=False):
        partial = client.get(
            f"/account/bookings/{booking.reference}/cancel/", headers={"HX-Request": "true"}
        ).content.decode()
        assert "<!doctype html>" not in partial
        assert "Cancelling now costs $54.44" in partial  # 50% of 108.88
        assert "Cancel and pay $54.44" in partial
        client.post(f"/account/bookings/{booking.reference}/cancel/")
    booking.refresh_from_db()
    assert str(booking.cancellation_fee) == "54.44"


def test_another_customers_booking_is_not_found(client, spa, booking, frozen_now):
    client.force_login(make_customer("nosy@example.com"))
    assert client.get(f"/account/bookings/{booking.reference}/cancel/").status_code == 404
    assert client.post(f"/account/bookings/{booking.reference}/cancel/").status_code == 404
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_reschedule_picks_a_day_a_time_then_reviews_before_moving(
    client, spa, customer, booking, frozen_now
):
    client.force_login(customer)
    url = f"/account/bookings/{booking.reference}/reschedule/"
    page = client.get(url).content.decode()
    assert "December 2026" in page and 'data-date="2026-12-04"' in page
    # the therapist choice: the booked one by default, another, or any
    assert '<option value="" selected>Keep Ana</option>' in page
    assert '<option value="ben">Ben</option>' in page
    assert '<option value="any">Any available therapist</option>' in page
    page = client.get(url + "?date=2026-12-04").content.decode()
    new_start = local(2026, 12, 4, 14)
    assert new_start.isoformat() in page

    # choosing a time shows the review and moves nothing
    review = client.get(url, {"date": "2026-12-04", "start": new_start.isoformat()})
    text = review.content.decode()
    assert review.status_code == 200
    assert "Thursday, December 3, 2026, 10:00 AM" in text  # the old time
    assert "Friday, December 4, 2026, 2:00 PM" in text  # the new time
    assert "Ana, as booked" in text
    assert "$108.88, unchanged" in text
    assert "free cancellation and changes last until Thursday, December 3, 2:00 PM" in text
    booking.refresh_from_db()
    assert booking.start == START and booking.reschedule_count == 0

    # the review's button moves it
    response = client.post(url, {"start": new_start.isoformat()})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.start == new_start and booking.reschedule_count == 1
    assert booking.technician.slug == "ana"


def test_reschedule_review_names_another_therapist_when_asked_for_any(
    client, spa, customer, booking, frozen_now
):
    rival = make_customer("rival@example.com")
    create_booking(
        customer=rival, service="swedish", start=local(2026, 12, 4, 14), technician="ana"
    )
    client.force_login(customer)
    url = f"/account/bookings/{booking.reference}/reschedule/"

    kept = client.get(url, {"date": "2026-12-04"}).content.decode()
    assert local(2026, 12, 4, 14).isoformat() not in kept  # Ana is busy then
    review = client.get(
        url, {"start": local(2026, 12, 4, 14).isoformat(), "technician": "any"}
    ).content.decode()
    assert "Ben instead of Ana" in review
    assert 'name="technician" value="any"' in review

    client.post(url, {"start": local(2026, 12, 4, 14).isoformat(), "technician": "any"})
    booking.refresh_from_db()
    assert (booking.start, booking.technician.slug) == (local(2026, 12, 4, 14), "ben")


def test_reschedule_to_a_taken_time_says_so(client, spa, customer, booking, frozen_now):
    rival = make_customer("rival@example.com")
    taken = local(2026, 12, 4, 14)
    create_booking(customer=rival, service="swedish", start=taken)
    create_booking(customer=rival, service="swedish", start=taken, guest_name="A friend")
    client.force_login(customer)
    url = f"/account/bookings/{booking.reference}/reschedule/"
    response = client.post(
        url, {"start": taken.isoformat(), "date": "2026-12-04", "technician": "any"}
    )
    assert response.status_code == 409
    assert "taken" in response.content.decode()
    booking.refresh_from_db()
    assert booking.start == START


def test_preferences_and_notification_settings_are_saved(client, spa, customer):
    client.force_login(customer)
    page = client.get("/account/preferences/").content.decode()
    assert 'name="notify_email" id="id_notify_email" checked' in page  # default: on
    response = client.post(
        "/account/preferences/",
        {
            "name": "Gia Guest",
            "phone": "+1 212 555 0101",
            "pref_pressure": "firm",
            "pref_scene": "venice",
            "pref_music": "not-a-choice",
            "notify_sms": "on",
        },
    )
    assert response.status_code == 200  # invalid choice: the form says so, nothing saved
    customer.refresh_from_db()
    assert customer.preferences == {}
    client.post(
        "/account/preferences/",
        {"name": "Gia Guest", "pref_pressure": "firm", "pref_scene": "venice", "notify_sms": "on"},
    )
    customer.refresh_from_db()
    assert customer.name == "Gia Guest"
    assert customer.preferences == {"pressure": "firm", "scene": "venice"}
    assert customer.notification_preferences == {
        "email": False,
        "sms": True,
        "push": False,
        "reminders": False,  # the kinds are checkboxes on the same form
        "review_requests": False,
    }


def test_data_export_downloads_json(client, spa, customer, booking, frozen_now):
    client.force_login(customer)
    response = client.get("/account/data/export/")
    assert response["Content-Disposition"] == 'attachment; filename="coresync-my-data.json"'
    data = json.loads(response.content)
    assert data["profile"]["email"] == customer.email
    assert data["bookings"][0]["reference"] == booking.reference


def test_delete_needs_the_password_then_anonymizes_and_signs_out(client, spa, customer):
    client.force_login(customer)
    response = client.post("/account/delete/", {"password": "wrong"})
    assert "The password is not right." in response.content.decode()
    response = client.post("/account/delete/", {"password": "pass-word-123"})
    assert response.status_code == 302 and response["Location"] == "/"
    user = User.objects.get(pk=customer.pk)
    assert user.email == f"deleted-{user.pk}@deleted.invalid" and not user.is_active
    assert client.get("/account/").status_code == 302


def test_joining_changing_and_cancelling_a_membership(client, spa, customer, manager, frozen_now):
    response = client.post("/membership/join/", {"plan": "base"})
    assert response.status_code == 302
    assert response["Location"] == "/account/signup/?next=%2Fmembership%2Fjoin%2F%3Fplan%3Dbase"
    client.force_login(customer)
    client.post("/membership/join/", {"plan": "base", "confirm": "yes"})
    membership = Membership.objects.get(customer=customer)
    assert (membership.plan.slug, membership.status) == ("base", "pending")
    page = client.get("/account/").content.decode()
    assert "Base" in page and "Pending payment" in page and "paid at the spa" in page
    activate_membership(membership, actor=manager)  # the first month paid at the desk
    page = client.get("/account/").content.decode()
    assert "Base" in page and "Cancel membership" in page and "Pending payment" not in page
    client.post("/membership/join/", {"plan": "premium", "confirm": "yes"})
    membership.refresh_from_db()
    assert (membership.plan.slug, membership.pending_plan.slug) == ("base", "premium")
    assert "Premium, from when the difference is paid" in client.get("/account/").content.decode()
    activate_membership(membership, actor=manager)
    membership.refresh_from_db()
    assert membership.plan.slug == "premium"
    assert "Switch to Unlimited" in client.get("/membership/").content.decode()
    client.post("/membership/cancel/", {"confirm": "yes"})
    membership.refresh_from_db()
    assert membership.ends_on == membership.current_period_end
    assert "Ends" in client.get("/account/").content.decode()


def test_joining_shows_a_review_with_price_when_and_terms_before_anything_commits(
    client, spa, customer, frozen_now
):
    client.force_login(customer)
    response = client.post("/membership/join/", {"plan": "base"})  # the plans page's button
    page = response.content.decode()
    assert response.status_code == 200
    assert "Join Base" in page and "$149.00 a month." in page
    assert "When the first month is paid at the spa" in page
    assert "runs for a month (for example until January 1, 2027 if you pay today)" in page
    assert "Terms of service" in page and 'name="confirm" value="yes"' in page
    assert not Membership.objects.filter(customer=customer).exists()


def test_switching_plan_shows_the_price_change_and_changes_nothing_before_confirm(
    client, spa, base_member, frozen_now
):
    client.force_login(base_member)
    page = client.get("/membership/join/?plan=unlimited").content.decode()
    assert "Switch from Base to Unlimited" in page
    assert "Your monthly price changes from $149.00 to $599.00." in page
    assert "When the difference is paid at the spa: your Base benefits stay until then" in page
    assert Membership.objects.get(customer=base_member).plan.slug == "base"
    client.post("/membership/join/", {"plan": "unlimited"})  # no confirm: the review again
    assert Membership.objects.get(customer=base_member).pending_plan is None
    client.post("/membership/join/", {"plan": "unlimited", "confirm": "yes"})
    membership = Membership.objects.get(customer=base_member)
    assert (membership.plan.slug, membership.pending_plan.slug) == ("base", "unlimited")
    keep = client.get("/membership/join/?plan=base").content.decode()
    assert "Stay on Base" in keep and "Your upgrade to Unlimited, not paid yet, is dropped" in keep
    client.post("/membership/join/", {"plan": "base", "confirm": "yes"})  # keep Base after all
    membership.refresh_from_db()
    assert (membership.plan.slug, membership.pending_plan) == ("base", None)
    same = client.get("/membership/join/?plan=base")
    assert same.status_code == 302 and same["Location"] == "/account/"


def test_cancelling_a_membership_first_says_when_it_ends_and_what_is_lost(
    client, spa, vip_member, frozen_now
):
    client.force_login(vip_member)
    membership = Membership.objects.get(customer=vip_member)
    Membership.objects.filter(pk=membership.pk).update(
        current_period_start=date(2026, 11, 15), current_period_end=date(2026, 12, 15)
    )
    account = client.get("/account/").content.decode()
    assert 'href="/membership/cancel/"' in account
    response = client.get("/membership/cancel/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "your membership ends on Tuesday, December 15, 2026" in page
    assert "Booking 90 days ahead: you will book 3 days ahead, like a guest." in page
    assert "Your 40% member discount" in page and "Priority and VIP-only times." in page
    assert "4 included services left this period: they lapse unused." in page
    client.post("/membership/cancel/")  # no confirm: nothing changes
    membership.refresh_from_db()
    assert membership.ends_on is None


def test_joining_an_unknown_or_malformed_plan_is_404_and_joins_nothing(
    client, spa, customer, frozen_now
):
    client.force_login(customer)
    for plan in ("gold", "base\x00", "", "b a s e"):
        assert client.post("/membership/join/", {"plan": plan}).status_code == 404, plan
    assert not Membership.objects.filter(customer=customer).exists()


def test_vip_usage_is_shown(client, spa, vip_member, frozen_now):
    membership = vip_member.memberships.get()
    membership.credits_used = 1
    membership.save()
    client.force_login(vip_member)
    assert "1 of 4 used" in client.get("/account/").content.decode()


def test_a_malformed_booking_reference_in_a_path_is_404(client, customer):
    client.force_login(customer)
    for path in (
        "/book/done/CS-2026-%00/",
        "/account/bookings/CS%002026/cancel/",
        "/account/bookings/CS-2026-000001%27%3B/reschedule/",
    ):
        response = client.get(path) if path.startswith("/book/") else client.post(path)

        assert response.status_code == 404, path


def test_a_booking_has_its_own_page_with_service_addons_therapist_prices_policy_actions(
    client, spa, customer, frozen_now
):
    booking = create_booking(
        customer=customer,
        service="swedish",
        start=START,
        addon_slugs=["cbd-oil"],
        technician="ana",
        preferences={"pressure": "firm"},
        notes="Left shoulder is sore.",
    )
    client.force_login(customer)
    url = f"/account/bookings/{booking.reference}/"
    assert url in client.get("/account/").content.decode()
    page = client.get(url).content.decode()
    assert "Swedish Massage" in page and booking.reference in page
    assert "CBD Oil" in page and "<dd data-therapists>Ana</dd>" in page
    assert "CBD Oil</th><td>$25.00" in page and f"${booking.total}" in page
    assert "Free to cancel or reschedule until Wednesday, December 2, 10:00 AM." in page
    assert "Pressure: Firm" in page and "Left shoulder is sore." in page
    assert f'href="/account/bookings/{booking.reference}/reschedule/"' in page
    assert f'href="/account/bookings/{booking.reference}/cancel/"' in page
    assert f'href="/account/bookings/{booking.reference}/invite.ics"' in page
    assert "Suite A" not in page  # the room is the spa's business


def test_a_booking_page_is_404_for_another_customer_or_a_bad_link_and_asks_a_visitor_to_sign_in(
    client, spa, booking, frozen_now
):
    url = f"/account/bookings/{booking.reference}/"
    response = client.get(url)  # no session, no link: sign in first
    assert response.status_code == 302 and response["Location"].startswith("/account/login/")
    assert client.get(url, {"access": "forged"}).status_code == 404
    client.force_login(make_customer("nosy@example.com"))
    assert client.get(url).status_code == 404
    assert client.get(url + "invite.ics").status_code == 404


def test_a_signed_access_link_opens_that_booking_and_lets_the_visitor_cancel_it(
    client, spa, customer, booking, frozen_now
):
    token = booking_access_token(booking)
    other = create_booking(customer=customer, service="swedish", start=START + timedelta(hours=2))
    url = f"/account/bookings/{booking.reference}/"
    page = client.get(url, {"access": token}).content.decode()
    assert "Swedish Massage" in page
    assert f"/account/bookings/{booking.reference}/cancel/?access={quote(token)}" in page
    # the token opens its own booking only, and a forged one nothing
    assert client.get(f"/account/bookings/{other.reference}/", {"access": token}).status_code == 404
    assert client.get(url, {"access": token[:-2] + "xx"}).status_code == 404
    assert (
        client.post(f"/account/bookings/{other.reference}/cancel/", {"access": token}).status_code
        == 404
    )
    other.refresh_from_db()
    assert other.status == BookingStatus.CONFIRMED
    preview = client.get(f"/account/bookings/{booking.reference}/cancel/", {"access": token})
    assert "Cancelling now is free" in preview.content.decode()
    assert f'name="access" value="{token}"' in preview.content.decode()
    response = client.post(f"/account/bookings/{booking.reference}/cancel/", {"access": token})
    assert response.status_code == 302 and response["Location"] == f"{url}?access={quote(token)}"
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert booking.history.get(action="booking.cancelled").actor == customer


def test_a_signed_access_link_lets_the_visitor_reschedule(client, spa, booking, frozen_now):
    token = booking_access_token(booking)
    url = f"/account/bookings/{booking.reference}/reschedule/"
    page = client.get(url, {"access": token, "date": "2026-12-03"}).content.decode()
    assert f'name="access" value="{token}"' in page
    new_start = local(2026, 12, 3, 14)
    response = client.post(url, {"access": token, "start": new_start.isoformat()})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.start == new_start


def test_the_add_to_calendar_download_is_the_emails_invite(
    client, spa, customer, booking, frozen_now
):
    client.force_login(customer)
    response = client.get(f"/account/bookings/{booking.reference}/invite.ics")
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{booking.reference}.ics"'
    body = response.content.decode()
    assert "METHOD:REQUEST" in body and f"UID:booking-{booking.reference}@" in body
    assert "ATTENDEE" in body and "guest@example.com" in body


def test_cancelled_bookings_have_their_own_heading_not_past(
    client, spa, customer, booking, frozen_now
):
    cancel_booking(booking, actor=customer)
    client.force_login(customer)
    page = client.get("/account/").content.decode()
    cancelled_at = page.index("Cancelled bookings")
    assert page.index(booking.reference) > cancelled_at
    past = page[page.index("Past visits") : cancelled_at]
    assert booking.reference not in past and "Nothing yet." in past


def test_delete_my_account_stands_apart_and_says_what_is_deleted_and_kept(client, spa, customer):
    client.force_login(customer)
    account = client.get("/account/").content.decode()
    data = account[account.index('id="data"') : account.index('id="delete-title"')]
    assert "Sign out" in data and "Delete my account" not in data
    page = client.get("/account/delete/").content.decode()
    assert "What is deleted" in page and "What is kept, and why" in page
    assert "tax and accounting law requires us to keep these records" in page


def test_a_lapsed_member_is_recognised_with_past_visits_and_a_rejoin(client, spa, customer):
    Membership.objects.create(
        customer=customer,
        plan=spa.plans["base"],
        started_on=date(2025, 1, 1),
        ends_on=date(2025, 12, 31),
    )
    with time_machine.travel(local(2026, 1, 20, 9), tick=False):
        old = create_booking(customer=customer, service="swedish", start=local(2026, 1, 21, 10))
    client.force_login(customer)
    with time_machine.travel(local(2026, 2, 10, 9), tick=False):
        page = client.get("/account/").content.decode()
        assert "Your Base membership ended on December 31, 2025." in page
        assert old.reference in page[page.index("Past visits") :]
        assert 'href="/membership/join/?plan=base"' in page
        review = client.get("/membership/join/?plan=base").content.decode()
        assert "Rejoin Base" in review
        client.post("/membership/join/", {"plan": "base", "confirm": "yes"})
    assert Membership.objects.filter(customer=customer, ends_on__isnull=True).count() == 1
