"""The members' money walk in a real browser (issue 13 acceptance): a guest becomes a Premium
member on the site paying with a test card in the Payment Element, books with the included
credit, and sees the receipt.

Stripe is faked at both of its edges, nothing leaves the machine:

- the server's calls to api.stripe.com go through the official SDK to the fake Stripe API
  behind ``responses`` (it patches ``requests`` for the whole process, so the live server's
  threads use it too);
- the browser's Stripe.js (``https://js.stripe.com/v3/``, the one script the payment page
  loads from elsewhere, admitted by its Content-Security-Policy) is served by Playwright from
  :data:`FAKE_STRIPE_JS`: a Payment Element with a card field, and ``confirmPayment``
  posting to ``api.stripe.com/v1/payment_intents/<id>/confirm``, which Playwright answers
  from the same fake (4242… succeeds, 4000 0000 0000 0002 is declined), then returning to
  the site as Stripe does (``?payment_intent=…&redirect_status=succeeded``).
"""

import json
import re
from urllib.parse import parse_qs

import pytest
from playwright.sync_api import expect

from coresync.bookings.models import Booking, BookingStatus
from coresync.memberships.models import Membership, MembershipStatus
from coresync.notifications.models import OutboxMessage
from coresync.web.tests.e2e.conftest import DESKTOP, screenshot
from coresync.web.tests.test_booking_page import ready_params

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FAKE_STRIPE_JS = """
window.Stripe = function (publishableKey) {
  return {
    elements: function (options) {
      return {
        clientSecret: options.clientSecret,
        create: function () {
          return {
            mount: function (selector) {
              var box = document.querySelector(selector);
              var label = document.createElement("label");
              label.htmlFor = "fake-card";
              label.textContent = "Card number";
              var input = document.createElement("input");
              input.id = "fake-card";
              input.autocomplete = "cc-number";
              box.appendChild(label);
              box.appendChild(input);
            },
          };
        },
      };
    },
    confirmPayment: function (args) {
      var intent = args.elements.clientSecret.split("_secret_")[0];
      var card = document.getElementById("fake-card").value;
      return fetch("https://api.stripe.com/v1/payment_intents/" + intent + "/confirm", {
        method: "POST",
        body: "card=" + encodeURIComponent(card),
      })
        .then(function (response) { return response.json(); })
        .then(function (result) {
          if (result.error) return { error: result.error };
          window.location.assign(
            args.confirmParams.return_url + "?payment_intent=" + intent +
            "&redirect_status=succeeded"
          );
          return {};
        });
    },
    handleNextAction: function () { return Promise.resolve({}); },
  };
};
"""

DECLINED_CARD = "4000000000000002"


def fake_stripe_edge(page, fake) -> None:
    """Serve the fake Stripe.js and answer the browser's confirm calls from ``fake``."""
    page.route(
        "https://js.stripe.com/v3/",
        lambda route: route.fulfill(body=FAKE_STRIPE_JS, content_type="application/javascript"),
    )

    def confirm(route):
        intent_id = re.search(r"payment_intents/([^/]+)/confirm", route.request.url).group(1)
        card = parse_qs(route.request.post_data or "").get("card", [""])[0].replace(" ", "")
        if card == DECLINED_CARD:
            status, body = (
                402,
                {"error": {"type": "card_error", "message": "Your card was declined."}},
            )
        else:
            body = fake.set_intent_status(intent_id, "succeeded", payment_method="pm_card_visa")
            status = 200
        route.fulfill(
            status=status,
            headers={"Access-Control-Allow-Origin": "*"},
            content_type="application/json",
            body=json.dumps(body),
        )

    page.route("https://api.stripe.com/**", confirm)


def test_a_guest_becomes_a_premium_member_with_a_card_books_with_a_credit_and_sees_the_receipt(
    open_page, site, spa, settings, stripe_on, fake_stripe
):
    settings.SITE_URL = site  # Stripe's return address is the live server
    spa.plans["premium"].included_credits = 1
    spa.plans["premium"].save()

    page = open_page("/", viewport=DESKTOP)
    fake_stripe_edge(page, fake_stripe)

    # A guest picks Premium on the plans page and creates an account on the way
    page.goto(site + "/membership/")
    page.get_by_role("button", name="Join Premium").click()
    page.get_by_label("Name").fill("Pat Premium")
    page.get_by_label("Email").fill("pat@example.com")
    page.get_by_label("Password").fill("a-very-good-pass-42")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_text("As soon as the first month is paid by card")).to_be_visible()
    page.locator("#confirm-membership").click()

    # The payment page: the Payment Element (faked), 249.00 for the first month
    expect(page.get_by_role("heading", name="Pay $249.00")).to_be_visible()
    screenshot(page, "members-money-pay")
    page.get_by_label("Card number").fill(DECLINED_CARD)
    page.locator("#pay-now").click()
    expect(page.get_by_role("alert")).to_have_text("Your card was declined.")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.locator("#pay-now").click()

    # Back on My account: a Premium member, one included service this period
    expect(page.get_by_text("Welcome: your Premium membership is active.")).to_be_visible()
    membership = Membership.objects.get(customer__email="pat@example.com")
    assert membership.status == MembershipStatus.ACTIVE
    assert membership.customer.payment_customer.default_payment_method_id == "pm_card_visa"
    expect(page.locator("[data-credits]")).to_contain_text("0 of 1 used")

    # Books a massage: the included credit brings it to 0.00, nothing to pay
    page.goto(site + "/book/?" + "&".join(f"{k}={v}" for k, v in ready_params().items()))
    expect(page.locator(".quote")).to_contain_text("Included credit")
    expect(page.locator("[data-total]")).to_have_text("$0.00")
    expect(page.locator("[data-credit]")).to_contain_text("1 left this period")
    page.locator("#confirm-booking").click()
    expect(page.get_by_role("heading", name="Your booking is confirmed")).to_be_visible()
    booking = Booking.objects.get()
    assert (booking.status, booking.credits_used, str(booking.total)) == (
        BookingStatus.CONFIRMED,
        1,
        "0.00",
    )
    screenshot(page, "members-money-booked")

    # And finds the receipt of the first month in My account
    page.goto(site + "/account/")
    expect(page.locator("[data-credits]")).to_contain_text("1 of 1 used")
    page.locator("#receipts a").first.click()
    expect(page.locator("[data-receipt]")).to_contain_text("Premium membership, first month")
    expect(page.locator("[data-receipt]")).to_contain_text("$249.00")
    expect(page.get_by_text("Paid: $249.00")).to_be_visible()
    screenshot(page, "members-money-receipt")
    # ... and by email (the outbox), with the welcome email and its membership card
    kinds = set(OutboxMessage.objects.values_list("payload__kind", flat=True))
    assert {"payment_receipt", "membership_welcome", "booking_confirmation"} <= kinds
