"""A password reset, a password change, a deactivation and "sign out everywhere" revoke every
outstanding sign-in: refresh tokens (simplejwt's blacklist), access tokens minted before a
password change, and the other browser sessions."""

import re

import pytest
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from conftest import make_customer
from coresync.accounts.models import User
from coresync.accounts.services import deactivate_user
from coresync.core.clock import now
from coresync.notifications.outbox import dispatch_due

pytestmark = pytest.mark.django_db


def _sign_in(email: str, password: str = "pass-word-123") -> dict:
    response = APIClient().post(
        "/api/v1/auth/token/", {"email": email, "password": password}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def _refresh(pair: dict) -> int:
    return (
        APIClient()
        .post("/api/v1/auth/token/refresh/", {"refresh": pair["refresh"]}, format="json")
        .status_code
    )


def _me(pair: dict) -> int:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    return api.get("/api/v1/me/").status_code


@pytest.fixture
def person(spa):
    return make_customer("someone@example.com")


@pytest.fixture
def browser(person):
    browser = Client()
    browser.force_login(person)
    assert browser.get("/account/").status_code == 200
    return browser


def _revoked(pair: dict, browser: Client) -> None:
    assert _refresh(pair) == 401
    assert browser.get("/account/").status_code == 302  # sent to sign in again


def test_a_password_reset_revokes_every_sign_in(person, browser):
    pair = _sign_in(person.email)
    APIClient().post("/api/v1/auth/password/reset/", {"email": person.email}, format="json")
    while dispatch_due(now()):
        pass
    uid, token = re.search(r"/reset/([^/]+)/([^/]+)/", mail.outbox[0].body).groups()
    done = APIClient().post(
        "/api/v1/auth/password/reset/confirm/",
        {"uid": uid, "token": token, "new_password": "a-new-long-phrase"},
        format="json",
    )
    assert done.status_code == 204
    _revoked(pair, browser)
    assert _me(pair) == 401  # the access token carried the old password's hash
    assert _me(_sign_in(person.email, "a-new-long-phrase")) == 200


def test_a_password_change_revokes_the_other_sign_ins(person, browser):
    pair = _sign_in(person.email)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    wrong = api.post(
        "/api/v1/auth/password/change/",
        {"current_password": "not-it", "new_password": "a-new-long-phrase"},
        format="json",
    )
    assert wrong.status_code == 400
    assert "current_password" in wrong.json()["error"]["fields"]
    assert _refresh(_sign_in(person.email)) == 200  # nothing was revoked by the refusal
    changed = api.post(
        "/api/v1/auth/password/change/",
        {"current_password": "pass-word-123", "new_password": "a-new-long-phrase"},
        format="json",
    )
    assert changed.status_code == 204
    _revoked(pair, browser)
    assert _me(pair) == 401


def test_sign_out_everywhere_revokes_refresh_tokens_and_sessions(person, browser):
    first, second = _sign_in(person.email), _sign_in(person.email)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {first['access']}")
    assert api.post("/api/v1/auth/logout/all/").status_code == 204
    _revoked(first, browser)
    assert _refresh(second) == 401
    assert _me(_sign_in(person.email)) == 200  # signing in again works


def test_deactivation_revokes_every_sign_in(person, browser):
    pair = _sign_in(person.email)
    deactivate_user(User.objects.get(pk=person.pk))
    _revoked(pair, browser)
    assert _me(pair) == 401


def test_the_site_can_sign_out_everywhere_else_and_keeps_this_browser(person, browser):
    other = Client()
    other.force_login(person)
    pair = _sign_in(person.email)
    response = browser.post("/account/sign-out-everywhere/")
    assert response.status_code == 302
    assert browser.get("/account/").status_code == 200  # this browser stays signed in
    assert other.get("/account/").status_code == 302
    assert _refresh(pair) == 401
