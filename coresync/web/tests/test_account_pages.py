"""My account: bookings with cancel (policy outcome first) and reschedule, membership,
preferences, notification settings, data export and deletion."""

import json
from datetime import timedelta

import pytest
import time_machine

from conftest import local, make_customer
from coresync.accounts.models import User
from coresync.bookings.models import BookingStatus
from coresync.bookings.services import create_booking
from coresync.memberships.models import Membership

pytestmark = pytest.mark.django_db

START = local(2026, 12, 3, 10)


@pytest.fixture
def booking(spa, customer, frozen_now):
    return create_booking(customer=customer, service="swedish", start=START)


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
    assert customer.notification_preferences == {"email": False, "sms": True, "push": False}


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


def test_joining_changing_and_cancelling_a_membership(client, spa, customer, frozen_now):
    response = client.post("/membership/join/", {"plan": "base"})
    assert response.status_code == 302 and response["Location"].startswith("/account/signup/")
    client.force_login(customer)
    client.post("/membership/join/", {"plan": "base"})
    membership = Membership.objects.get(customer=customer)
    assert membership.plan.slug == "base"
    page = client.get("/account/").content.decode()
    assert "Base" in page and "Cancel membership" in page
    client.post("/membership/join/", {"plan": "premium"})
    membership.refresh_from_db()
    assert membership.plan.slug == "premium"
    assert "Switch to Unlimited" in client.get("/membership/").content.decode()
    client.post("/membership/cancel/")
    membership.refresh_from_db()
    assert membership.ends_on == membership.current_period_end
    assert "Ends" in client.get("/account/").content.decode()


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
