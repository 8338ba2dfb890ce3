"""Sign in, sign up, sign out and password reset on the site."""

import re
from urllib.parse import unquote

import pytest
from django.core import mail

from coresync.accounts.models import User
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


def test_sign_in_attempts_are_limited(client, spa, customer, settings):
    settings.WEB_LOGIN_ATTEMPTS = 3
    for _ in range(3):
        client.post("/account/login/", {"email": "guest@example.com", "password": "nope"})
    response = client.post(
        "/account/login/", {"email": "guest@example.com", "password": "pass-word-123"}
    )
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()


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


def test_password_reset_by_email_link(client, spa, customer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/account/password/reset/", {"email": "guest@example.com"})
    assert "Check your email" in response.content.decode()
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
