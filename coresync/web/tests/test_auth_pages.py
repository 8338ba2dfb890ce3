"""Sign in, sign up, sign out and password reset on the site."""

import re
from urllib.parse import unquote

import pytest
from django.core import mail
from django.test import Client

from coresync.accounts.models import User
from coresync.accounts.services import set_role
from coresync.core.clock import now
from coresync.notifications.models import OutboxMessage
from coresync.notifications.outbox import dispatch_due
from coresync.web.tests.test_booking_page import book_url, ready_params

pytestmark = pytest.mark.django_db


def test_sign_in_returns_to_next(client, spa, customer):
    response = client.post(
        "/account/login/",
        {
            "email": "guest@example.com",
            "password": "pass-word-123",
            "next": "/book/?service=swedish",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/book/?service=swedish"


def test_sign_in_refuses_a_wrong_password_and_an_outside_next(client, spa, customer):
    response = client.post(
        "/account/login/", {"email": "guest@example.com", "password": "nope", "next": "/"}
    )
    assert "The email or password is not right." in response.content.decode()
    response = client.post(
        "/account/login/",
        {
            "email": "guest@example.com",
            "password": "pass-word-123",
            "next": "https://evil.example/",
        },
    )
    assert response["Location"] == "/account/"


def test_sign_in_failures_are_limited_per_address_and_email(client, spa, customer, settings):
    settings.WEB_RATE_LIMITS = {**settings.WEB_RATE_LIMITS, "login_failures_per_email": "3/5min"}
    for _ in range(3):
        client.post("/account/login/", {"email": "guest@example.com", "password": "nope"})
    response = client.post(
        "/account/login/", {"email": "guest@example.com", "password": "pass-word-123"}
    )
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 300
    assert "Too many attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_nobody_can_lock_a_guest_out_from_another_address(client, spa, customer, settings):
    settings.WEB_RATE_LIMITS = {**settings.WEB_RATE_LIMITS, "login_failures_per_email": "3/5min"}
    for _ in range(10):
        client.post(
            "/account/login/",
            {"email": "guest@example.com", "password": "nope"},
            REMOTE_ADDR="203.0.113.9",
        )
    guest = Client(REMOTE_ADDR="198.51.100.7")
    response = guest.post(
        "/account/login/", {"email": "guest@example.com", "password": "pass-word-123"}
    )
    assert response.status_code == 302
    assert guest.get("/account/").status_code == 200


def test_successful_sign_ins_are_not_counted(client, spa, customer, settings):
    settings.WEB_RATE_LIMITS = {**settings.WEB_RATE_LIMITS, "login_failures_per_email": "2/5min"}
    for _ in range(4):
        browser = Client()
        response = browser.post(
            "/account/login/", {"email": "guest@example.com", "password": "pass-word-123"}
        )
        assert response.status_code == 302


def test_sign_up_is_limited_per_address(client, spa, settings):
    settings.WEB_RATE_LIMITS = {**settings.WEB_RATE_LIMITS, "signup_per_address": "2/hour"}
    for number in range(2):
        response = Client().post(
            "/account/signup/",
            {"name": "N", "email": f"n{number}@example.com", "password": "a-very-good-pass-42"},
        )
        assert response.status_code == 302
    refused = client.post(
        "/account/signup/",
        {"name": "N", "email": "n9@example.com", "password": "a-very-good-pass-42"},
    )
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert not User.objects.filter(email="n9@example.com").exists()


def test_password_reset_is_limited_per_email_and_address(client, spa, customer, settings):
    settings.WEB_RATE_LIMITS = {**settings.WEB_RATE_LIMITS, "reset_per_email": "2/hour"}
    for _ in range(2):
        response = client.post("/account/password/reset/", {"email": "guest@example.com"})
        assert response.status_code == 200
    refused = Client(REMOTE_ADDR="198.51.100.20").post(
        "/account/password/reset/", {"email": "GUEST@example.com"}
    )
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert OutboxMessage.objects.filter(topic="notifications.password_reset").count() == 2


def test_admin_sign_in_is_limited(client, spa, manager, settings):
    set_role(manager, "manager")  # staff: may use the admin
    settings.WEB_RATE_LIMITS = {**settings.WEB_RATE_LIMITS, "login_failures_per_email": "3/5min"}
    for _ in range(3):
        response = client.post(
            "/admin/login/", {"username": manager.email, "password": "guess", "next": "/admin/"}
        )
        assert response.status_code == 200
    refused = client.post("/admin/login/", {"username": manager.email, "password": "pass-word-123"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert "_auth_user_id" not in client.session
    fresh = Client(REMOTE_ADDR="198.51.100.30").post(
        "/admin/login/", {"username": manager.email, "password": "pass-word-123", "next": "/admin/"}
    )
    assert fresh.status_code == 302


def test_the_anonymous_booking_page_shares_the_availability_rate(client, spa, settings, frozen_now):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "anon_availability": "3/min"},
    }
    for _ in range(3):
        assert client.get("/book/", {"service": "swedish"}).status_code == 200
    refused = client.get("/book/", {"service": "swedish"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert Client(REMOTE_ADDR="198.51.100.40").get("/book/").status_code == 200


def test_sign_up_creates_a_customer_signs_in_and_keeps_the_booking(client, spa):
    page = client.get("/account/signup/?next=/book/%3Fservice%3Dswedish").content.decode()
    assert "Your booking choices are kept" in page
    response = client.post(
        "/account/signup/",
        {
            "name": "Nia New",
            "email": "Nia@Example.com",
            "password": "a-very-good-pass-42",
            "next": "/book/?service=swedish",
        },
    )
    assert response["Location"] == "/book/?service=swedish"
    user = User.objects.get(email="nia@example.com")
    assert user.role == "customer"
    assert client.get("/account/").status_code == 200


def test_sign_up_shows_the_services_field_errors(client, spa, customer):
    response = client.post(
        "/account/signup/", {"name": "X", "email": "guest@example.com", "password": "12345678"}
    )
    page = response.content.decode()
    assert "An account with this email already exists." in page
    assert "This password is entirely numeric." in page


def test_password_reset_by_email_link(client, spa, customer):
    response = client.post("/account/password/reset/", {"email": "guest@example.com"})
    assert "Check your email" in response.content.decode()
    assert mail.outbox == []  # sent by the outbox worker, never inside the request
    while dispatch_due(now()):
        pass
    link = re.search(r"http://[^/]+(/account/password/reset/[^\s]+/)", mail.outbox[0].body)[1]
    assert "Choose a new password" in client.get(link).content.decode()
    response = client.post(link, {"new_password": "another-good-pass-7"})
    assert response["Location"] == "/account/login/"
    customer.refresh_from_db()
    assert customer.check_password("another-good-pass-7")
    response = client.post(link, {"new_password": "yet-another-pass-8"})
    assert "This link is invalid or has expired." in response.content.decode()


def test_sign_out_is_a_post(client, spa, customer):
    client.force_login(customer)
    assert client.get("/account/logout/").status_code == 405
    response = client.post("/account/logout/")
    assert response["Location"] == "/"
    assert client.get("/account/").status_code == 302


def test_signing_up_at_confirm_lands_on_the_confirm_step(client, spa, frozen_now):
    form = {"name": "Nia", "email": "nia@example.com", "password": "a-very-good-pass-42"}
    page = client.get(book_url(**ready_params())).content.decode()
    match = re.search(r'href="/account/signup/\?next=([^"]+)"', page)
    next_url = unquote(match.group(1))
    assert next_url.startswith("/book/?service=swedish") and next_url.endswith("#step-confirm")
    response = client.post(
        "/account/signup/",
        {**form, "next": next_url},
    )
    assert response["Location"] == next_url
    login = client.post("/book/confirm/", ready_params())  # signed in now: this books
    assert login.status_code == 302 and login["Location"].startswith("/book/done/")


def test_sign_up_takes_an_optional_phone_in_e164(client, spa):
    form = {"name": "Nia", "email": "nia@example.com", "password": "a-very-good-pass-42"}
    page = client.get("/account/signup/").content.decode()
    assert 'type="tel"' in page and "Phone (optional)" in page
    refused = client.post("/account/signup/", {**form, "phone": "call me"})
    assert refused.status_code == 200 and "with its country code" in refused.content.decode()
    assert not User.objects.filter(email="nia@example.com").exists()
    client.post("/account/signup/", {**form, "phone": "(551) 574-2281"})
    assert User.objects.get(email="nia@example.com").phone == "+15515742281"
    client.post("/account/signup/", {**form, "email": "no-phone@example.com"})
    assert User.objects.get(email="no-phone@example.com").phone == ""
