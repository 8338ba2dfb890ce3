"""Accounts over the API: logout, password reset by email, profile, export, deletion."""

import re

import pytest
from django.core import mail
from rest_framework.test import APIClient

from conftest import local, make_customer
from coresync.accounts.models import User
from coresync.bookings.services import create_booking
from coresync.core.clock import now
from coresync.notifications.models import OutboxMessage
from coresync.notifications.outbox import dispatch_due

pytestmark = pytest.mark.django_db


def tokens(api, email, password="pass-word-123"):
    return api.post("/api/v1/auth/token/", {"email": email, "password": password}, format="json")


def test_logout_blacklists_the_refresh_token(spa):
    api = APIClient()
    make_customer("a@example.com")
    pair = tokens(api, "a@example.com").json()
    assert (
        api.post("/api/v1/auth/logout/", {"refresh": pair["refresh"]}, format="json").status_code
        == 204
    )
    reused = api.post("/api/v1/auth/token/refresh/", {"refresh": pair["refresh"]}, format="json")
    assert reused.status_code == 401 and reused.json()["error"]["code"] == "unauthenticated"


def test_refresh_rotates_and_blacklists_the_old_token(spa):
    api = APIClient()
    make_customer("a@example.com")
    pair = tokens(api, "a@example.com").json()
    first = api.post("/api/v1/auth/token/refresh/", {"refresh": pair["refresh"]}, format="json")
    assert first.status_code == 200 and first.json()["refresh"] != pair["refresh"]
    second = api.post("/api/v1/auth/token/refresh/", {"refresh": pair["refresh"]}, format="json")
    assert second.status_code == 401


def test_wrong_password_is_401_with_error_body(spa):
    make_customer("a@example.com")
    response = tokens(APIClient(), "a@example.com", "wrong")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_expired_access_token_is_refused(spa, settings):
    api = APIClient()
    make_customer("a@example.com")
    import time_machine

    with time_machine.travel("2026-12-01 12:00Z", tick=False):
        access = tokens(api, "a@example.com").json()["access"]
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    with time_machine.travel("2026-12-01 12:14Z", tick=False):
        assert api.get("/api/v1/me/").status_code == 200
    with time_machine.travel("2026-12-01 12:16Z", tick=False):
        assert api.get("/api/v1/me/").status_code == 401


def test_password_reset_by_emailed_link(spa):
    api = APIClient()
    make_customer("a@example.com")
    for email in ("A@example.com", "nobody@example.com"):
        response = api.post("/api/v1/auth/password/reset/", {"email": email}, format="json")
        assert response.status_code == 202
    assert mail.outbox == []  # both answers took the same path: one outbox row each
    assert OutboxMessage.objects.filter(topic="notifications.password_reset").count() == 2
    while dispatch_due(now()):
        pass
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["a@example.com"]
    uid, token = re.search(r"/reset/([^/]+)/([^/]+)/", mail.outbox[0].body).groups()
    bad = api.post(
        "/api/v1/auth/password/reset/confirm/",
        {"uid": uid, "token": "nope", "new_password": "a-new-long-phrase"},
        format="json",
    )
    assert bad.status_code == 400 and "token" in bad.json()["error"]["fields"]
    done = api.post(
        "/api/v1/auth/password/reset/confirm/",
        {"uid": uid, "token": token, "new_password": "a-new-long-phrase"},
        format="json",
    )
    assert done.status_code == 204
    assert tokens(api, "a@example.com", "a-new-long-phrase").status_code == 200
    reused = api.post(
        "/api/v1/auth/password/reset/confirm/",
        {"uid": uid, "token": token, "new_password": "another-long-phrase"},
        format="json",
    )
    assert reused.status_code == 400


def test_me_patch_updates_preferences_but_not_role(spa):
    api = APIClient()
    user = make_customer("a@example.com")
    api.force_authenticate(user)
    updated = api.patch(
        "/api/v1/me/",
        {"phone": "+1 212 555 0100", "preferences": {"pressure": "firm"}},
        format="json",
    )
    assert updated.status_code == 200 and updated.json()["preferences"] == {"pressure": "firm"}
    refused = api.patch("/api/v1/me/", {"role": "manager"}, format="json")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "read_only_field"
    assert User.objects.get(pk=user.pk).role == "customer"


def test_export_and_delete_my_data(spa, premium_member, frozen_now):
    booking = create_booking(
        customer=premium_member,
        service="swedish",
        start=local(2026, 12, 2, 10),
        notes="Knee injury",
    )
    api = APIClient()
    api.force_authenticate(premium_member)
    export = api.get("/api/v1/me/export/").json()
    assert export["profile"]["email"] == "premium@example.com"
    assert export["memberships"][0]["plan"] == "premium"
    assert export["bookings"][0]["reference"] == booking.reference
    assert export["bookings"][0]["notes"] == "Knee injury"

    assert api.delete("/api/v1/me/", {"password": "wrong"}, format="json").status_code == 400
    assert (
        api.delete("/api/v1/me/", {"password": "pass-word-123"}, format="json").status_code == 204
    )
    user = User.objects.get(pk=premium_member.pk)
    assert user.email == f"deleted-{user.pk}@deleted.invalid" and not user.is_active
    booking.refresh_from_db()
    assert booking.notes == "" and booking.total > 0 and booking.customer_id == user.pk
    assert tokens(APIClient(), "premium@example.com").status_code == 401
