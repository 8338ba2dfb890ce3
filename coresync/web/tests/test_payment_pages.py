"""Paying on the site with Stripe's Payment Element (docs/payments.md "Paying on the site"):
the payment page and its Content-Security-Policy, one tap with a card on file (3-D Secure
included), the return from Stripe, and joining a membership online. Stripe is the fake API
behind ``responses`` driven by the real SDK; the pay-at-the-spa default needs no keys."""

from decimal import Decimal

import pytest

from coresync.bookings.models import Booking, BookingStatus
from coresync.catalog.models import Service
from coresync.giftcards.models import Package, PackagePurchase
from coresync.memberships.models import Membership, MembershipStatus
from coresync.notifications.models import OutboxMessage
from coresync.payments.models import Payment, PaymentCustomer, PaymentStatus
from coresync.web.tests.test_booking_page import ready_params

pytestmark = pytest.mark.django_db


def csp(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in header.split(";") if part.strip()}


def card_on_file(user) -> None:
    PaymentCustomer.objects.create(
        user=user, provider_customer_id="cus_saved", default_payment_method_id="pm_saved"
    )


def test_the_payment_page_mounts_the_payment_element_and_admits_stripe_js_there_only(
    client, spa, customer, frozen_now, stripe_on, fake_stripe
):
    client.force_login(customer)
    confirmed = client.post("/book/confirm/", {**ready_params(), "idempotency_key": "pay-1"})
    booking = Booking.objects.get()
    assert confirmed["Location"] == f"/book/pay/{booking.reference}/"

    page = client.get(confirmed["Location"])

    html = page.content.decode()
    assert 'data-client-secret="pi_0002_secret_test"' in html
    assert 'data-publishable-key="pk_test_coresync"' in html
    assert '<script src="https://js.stripe.com/v3/" defer></script>' in html
    assert "Pay $108.88" in html
    policy = csp(page)
    assert "https://js.stripe.com" in policy["script-src"]
    assert "https://js.stripe.com" in policy["frame-src"]
    assert "https://api.stripe.com" in policy["connect-src"]
    # Every other page keeps the site's own policy: scripts from this origin only
    other = csp(client.get("/book/"))
    assert other["script-src"] == "script-src 'self'"
    assert "stripe" not in client.get("/book/")["Content-Security-Policy"]


def test_paying_at_the_spa_needs_no_keys_and_no_payment_page(client, spa, customer, frozen_now):
    client.force_login(customer)

    confirmed = client.post("/book/confirm/", {**ready_params(), "idempotency_key": "spa-1"})

    booking = Booking.objects.get()
    assert booking.status == BookingStatus.CONFIRMED
    assert confirmed["Location"] == f"/book/done/{booking.reference}/"
    pay = client.get(f"/book/pay/{booking.reference}/")
    assert pay["Location"] == f"/book/done/{booking.reference}/"
    assert "stripe" not in client.get(confirmed["Location"])["Content-Security-Policy"]
    page = client.get("/book/", ready_params()).content.decode()
    assert "Pay at the spa after your treatment." in page


def test_a_guest_with_a_card_on_file_confirms_and_pays_in_one_tap(
    client, spa, customer, frozen_now, stripe_on, fake_stripe
):
    card_on_file(customer)
    client.force_login(customer)
    review = client.get("/book/", ready_params()).content.decode()
    assert "Confirm and pay $108.88 with your card on file" in review

    response = client.post(
        "/book/confirm/", {**ready_params(), "idempotency_key": "tap-1", "pay": "card_on_file"}
    )

    booking = Booking.objects.get()
    assert response["Location"] == f"/book/done/{booking.reference}/"
    assert booking.status == BookingStatus.CONFIRMED
    confirm = fake_stripe.posts("/v1/payment_intents/pi_0001/confirm")
    assert [call.params["payment_method"] for call in confirm] == ["pm_saved"]
    assert Payment.objects.get().status == PaymentStatus.SUCCEEDED
    assert OutboxMessage.objects.filter(payload__kind="payment_receipt").count() == 1
    assert "Your booking is confirmed" in client.get(response["Location"]).content.decode()


def test_a_one_tap_the_bank_wants_to_check_finishes_3d_secure_on_the_page(
    client, spa, customer, frozen_now, stripe_on, fake_stripe
):
    card_on_file(customer)
    fake_stripe.confirm_outcome = "requires_action"
    client.force_login(customer)
    client.post("/book/confirm/", {**ready_params(), "idempotency_key": "tap-2"})
    booking = Booking.objects.get()

    page = client.post(f"/book/pay/{booking.reference}/")

    assert page.status_code == 200
    assert "data-next-action" in page.content.decode()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.PENDING


def test_a_declined_one_tap_leaves_the_card_form(
    client, spa, customer, frozen_now, stripe_on, fake_stripe
):
    card_on_file(customer)
    fake_stripe.confirm_outcome = "card_declined"
    client.force_login(customer)

    response = client.post(
        "/book/confirm/", {**ready_params(), "idempotency_key": "tap-3", "pay": "card_on_file"}
    )

    booking = Booking.objects.get()
    assert response["Location"] == f"/book/pay/{booking.reference}/"
    page = client.get(response["Location"]).content.decode()
    assert "Your card was declined." in page
    assert Payment.objects.get().status == PaymentStatus.FAILED
    assert booking.status == BookingStatus.PENDING


def test_back_from_stripe_the_booking_is_confirmed_before_the_webhook(
    client, spa, customer, frozen_now, stripe_on, fake_stripe
):
    client.force_login(customer)
    client.post("/book/confirm/", {**ready_params(), "idempotency_key": "ret-1"})
    booking = Booking.objects.get()
    fake_stripe.set_intent_status("pi_0002", "succeeded", payment_method="pm_card")

    page = client.get(
        f"/book/done/{booking.reference}/",
        {"payment_intent": "pi_0002", "redirect_status": "succeeded"},
    )

    assert "Your booking is confirmed" in page.content.decode()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert PaymentCustomer.objects.get(user=customer).default_payment_method_id == "pm_card"


def test_joining_a_membership_on_the_site_pays_the_first_month_by_card(
    client, spa, customer, frozen_now, stripe_on, fake_stripe
):
    client.force_login(customer)
    review = client.get("/membership/join/", {"plan": "premium"}).content.decode()
    assert "As soon as the first month is paid by card" in review

    joined = client.post("/membership/join/", {"plan": "premium", "confirm": "yes"})
    assert joined["Location"] == "/membership/pay/"
    pay = client.get("/membership/pay/")
    html = pay.content.decode()
    assert "Premium membership, first month" in html and "Pay $249.00" in html
    assert "https://js.stripe.com" in csp(pay)["script-src"]
    membership = Membership.objects.get()
    assert membership.status == MembershipStatus.PENDING

    intent_id = Payment.objects.get().provider_payment_id
    fake_stripe.set_intent_status(intent_id, "succeeded", payment_method="pm_card")
    done = client.get("/membership/pay/done/", follow=True)

    membership.refresh_from_db()
    assert membership.status == MembershipStatus.ACTIVE
    assert "Welcome: your Premium membership is active." in done.content.decode()
    assert PaymentCustomer.objects.get(user=customer).has_card_on_file


def test_my_account_lists_the_receipts_and_each_opens_with_its_lines_and_tax(
    client, spa, customer, frozen_now, stripe_on, fake_stripe
):
    card_on_file(customer)
    client.force_login(customer)
    client.post(
        "/book/confirm/", {**ready_params(), "idempotency_key": "rcpt-1", "pay": "card_on_file"}
    )
    number = "P-" + Payment.objects.get().uuid.hex[:10].upper()

    account = client.get("/account/").content.decode()
    assert number in account and "$108.88" in account

    page = client.get(f"/account/receipts/{number}/").content.decode()
    assert "Swedish Massage, 60 min" in page and "$100.00" in page
    assert "$8.88" in page and "Paid: $108.88" in page
    assert client.get("/account/receipts/P-0000000000/").status_code == 404


def test_a_member_upgrades_on_the_site_paying_the_prorated_difference_now(
    client, spa, frozen_now, stripe_on, fake_stripe
):
    from datetime import date

    from conftest import make_customer

    member = make_customer("upgrader@example.com")
    Membership.objects.create(
        customer=member,
        plan=spa.plans["premium"],
        started_on=date(2026, 11, 15),
        current_period_start=date(2026, 11, 15),
        current_period_end=date(2026, 12, 15),
        billing_anchor_day=15,
    )
    card_on_file(member)
    client.force_login(member)

    review = client.get("/membership/join/", {"plan": "unlimited"}).content.decode()
    # (599 − 249) × 14 days left of 30 = 163.333… → 163.33
    assert "$163.33" in review and "charged to your card on file" in review

    done = client.post("/membership/join/", {"plan": "unlimited", "confirm": "yes"}, follow=True)

    assert "You are now on the Unlimited plan." in done.content.decode()
    assert Membership.objects.get().plan.slug == "unlimited"


def test_a_declined_upgrade_on_the_site_says_so(client, spa, frozen_now, stripe_on, fake_stripe):
    from datetime import date

    from conftest import make_customer

    fake_stripe.decline_off_session = "card_declined"
    member = make_customer("declined@example.com")
    Membership.objects.create(
        customer=member,
        plan=spa.plans["premium"],
        started_on=date(2026, 11, 15),
        current_period_start=date(2026, 11, 15),
        current_period_end=date(2026, 12, 15),
        billing_anchor_day=15,
    )
    card_on_file(member)
    client.force_login(member)

    done = client.post("/membership/join/", {"plan": "unlimited", "confirm": "yes"}, follow=True)

    assert "Your card on file was declined" in done.content.decode()
    assert Membership.objects.get().plan.slug == "premium"


def test_a_member_saves_a_new_card_after_a_declined_renewal(
    client, spa, customer, frozen_now, stripe_on, fake_stripe
):
    card_on_file(customer)
    client.force_login(customer)

    page = client.get("/account/card/")

    html = page.content.decode()
    assert 'data-mode="setup"' in html and 'data-client-secret="seti_0001_secret_test"' in html
    assert "https://js.stripe.com" in csp(page)["script-src"]
    fake_stripe.set_setup_status("seti_0001", "succeeded", payment_method="pm_fresh")

    saved = client.get("/account/card/saved/", {"setup_intent": "seti_0001"}, follow=True)

    assert "Your card is saved" in saved.content.decode()
    assert PaymentCustomer.objects.get(user=customer).default_payment_method_id == "pm_fresh"


def test_a_gift_card_is_bought_on_the_site_and_paid_with_the_payment_element(
    client, spa, customer, frozen_now, stripe_on, fake_stripe
):
    from coresync.giftcards.models import GiftCard

    client.force_login(customer)
    assert "Gift cards" in client.get("/").content.decode()  # in the footer

    response = client.post(
        "/gift-cards/",
        {
            "amount": "120",
            "recipient_name": "Maya",
            "recipient_email": "maya@example.com",
            "sender_name": "Sam",
            "message": "Enjoy!",
            "deliver_on": "2026-12-24",
        },
    )

    card = GiftCard.objects.get()
    assert response["Location"] == f"/gift-cards/{card.uuid}/pay/"
    page = client.get(response["Location"])
    assert "Gift card for Maya" in page.content.decode() and "Pay $120.00" in page.content.decode()
    assert "https://js.stripe.com" in csp(page)["script-src"]
    fake_stripe.set_intent_status(Payment.objects.get().provider_payment_id, "succeeded")

    done = client.get(f"/gift-cards/{card.uuid}/paid/", follow=True)

    assert "The gift card goes to maya@example.com on December 24, 2026." in done.content.decode()
    card.refresh_from_db()
    assert (card.status, card.balance) == ("active", card.amount)
    assert OutboxMessage.objects.filter(payload__kind="gift_card_delivery").count() == 1


def test_a_gift_card_bought_on_the_site_is_paid_at_the_spa_by_default(client, spa, customer):
    client.force_login(customer)

    response = client.post(
        "/gift-cards/", {"amount": "50", "recipient_email": "friend@example.com"}, follow=True
    )

    assert "pay $50.00 at the spa" in response.content.decode()
    assert "stripe" not in client.get("/gift-cards/")["Content-Security-Policy"]


def test_a_package_is_bought_on_its_page_paid_online_and_shown_in_my_account(
    client, spa, customer, frozen_now, stripe_on, fake_stripe
):
    swedish = Service.objects.get(slug="swedish")
    regular = swedish.variants.get(minutes=60).price
    Package.objects.create(
        slug="five-swedish",
        name="Five Swedish Massages",
        service=swedish,
        minutes=60,
        sessions=5,
        price=regular * 5 - Decimal("75.00"),
    )
    page = client.get("/packages/").content.decode()
    assert "Five Swedish Massages" in page and "You save $75.00" in page
    assert client.post("/packages/", {"package": "five-swedish"})["Location"].startswith(
        "/account/login/"
    )
    client.force_login(customer)

    bought = client.post("/packages/", {"package": "five-swedish"})

    purchase = PackagePurchase.objects.get(customer=customer)
    assert bought["Location"] == f"/packages/{purchase.uuid}/pay/"
    assert "https://js.stripe.com" in csp(client.get(bought["Location"]))["script-src"]
    (intent_id,) = fake_stripe.intents
    fake_stripe.set_intent_status(intent_id, "succeeded", payment_method="pm_card")
    back = client.get(f"/packages/{purchase.uuid}/paid/", follow=True)
    purchase.refresh_from_db()
    assert (purchase.status, purchase.sessions_left) == ("active", 5)
    account = back.content.decode()
    assert "My packages" in account and "5 of 5 sessions left" in account


def test_an_unknown_package_or_someone_elses_purchase_is_not_found(
    client, spa, customer, frozen_now
):
    client.force_login(customer)

    assert client.post("/packages/", {"package": "nothing"}).status_code == 404
    assert client.get("/packages/00000000-0000-0000-0000-000000000000/pay/").status_code == 404
