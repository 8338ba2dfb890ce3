"""The spa settings admin (a singleton) and a smoke test over every registered model."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import reverse

from coresync.accounts.models import User
from coresync.spa.models import IssuedNumber, SpaSettings
from coresync.spa.selectors import get_settings

pytestmark = pytest.mark.django_db

CORESYNC_APPS = {"accounts", "spa", "catalog", "resources", "memberships", "bookings", "staff"}


@pytest.fixture
def manager(client):
    user = User.objects.create_superuser("manager@coresync.test", None, name="Mia Manager")
    client.force_login(user)
    return user


def test_settings_list_leads_to_the_add_form_while_the_spa_has_none(manager, client):
    response = client.get(reverse("admin:spa_spasettings_changelist"))

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:spa_spasettings_add")


def test_settings_list_leads_to_the_one_row(manager, client):
    settings_row = get_settings()

    response = client.get(reverse("admin:spa_spasettings_changelist"))

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:spa_spasettings_change", args=[settings_row.pk])


def test_settings_cannot_be_added_twice_or_deleted(manager, client):
    settings_row = get_settings()

    add = client.get(reverse("admin:spa_spasettings_add"))
    delete = client.get(reverse("admin:spa_spasettings_delete", args=[settings_row.pk]))

    assert add.status_code == 403
    assert delete.status_code == 403
    assert SpaSettings.objects.count() == 1


def test_settings_change_saves_rules_but_not_the_time_zone(manager, client):
    settings_row = get_settings()
    url = reverse("admin:spa_spasettings_change", args=[settings_row.pk])
    assert client.get(url).status_code == 200

    response = client.post(
        url,
        {
            "name": "CoreSync Spa",
            "timezone": "Europe/Kyiv",
            "currency": "EUR",
            "tax_rate": "0.08875",
            "min_notice_minutes": "60",
            "slot_interval_minutes": "30",
            "non_member_advance_days": "3",
            "hold_minutes": "15",
            "check_in_window_minutes": "90",
            "free_cancellation_hours": "48",
            "late_cancellation_fee_percent": "50",
            "no_show_fee_percent": "100",
        },
    )

    assert response.status_code == 302
    saved = get_settings()
    assert saved.min_notice_minutes == 60
    assert saved.free_cancellation_hours == 48
    assert saved.check_in_window_minutes == 90
    assert saved.tax_rate == Decimal("0.08875")
    assert saved.timezone == "America/New_York"
    assert saved.currency == "USD"


def test_issued_numbers_are_not_in_the_admin():
    assert not admin.site.is_registered(IssuedNumber)


def test_every_registered_model_has_working_list_and_add_pages(manager, client):
    registered = [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in CORESYNC_APPS
    ]
    assert len(registered) >= 14

    for model, model_admin in registered:
        opts = model._meta
        changelist = client.get(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"), follow=True
        )
        add = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))

        assert changelist.status_code == 200, opts.label
        expected_add = 200 if model_admin.has_add_permission(changelist.wsgi_request) else 403
        assert add.status_code == expected_add, opts.label
