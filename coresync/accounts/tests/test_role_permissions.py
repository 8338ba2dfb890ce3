"""Each staff role can do its job in the admin (issue 18 item 1): the manager everything,
the front desk bookings, customers, check-in, no-show and holds, the technician nothing.
Roles are given through ``set_role``, as the spa file and the admin do."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from conftest import local
from coresync.accounts.models import Role, User
from coresync.accounts.roles import FRONT_DESK_PERMISSIONS, sync_role_groups
from coresync.accounts.services import set_role
from coresync.bookings.models import Booking, BookingStatus
from coresync.bookings.services import create_booking
from coresync.resources.models import SlotHold

pytestmark = pytest.mark.django_db


def staff(email: str, role: str) -> User:
    user = User.objects.create_user(email=email, password="pass-word-123", name=email.split("@")[0])
    return set_role(user, role)


@pytest.fixture
def desk(db):
    return staff("desk@example.com", Role.FRONT_DESK)


@pytest.fixture
def boss(db):
    return staff("boss@example.com", Role.MANAGER)


@pytest.fixture
def today_booking(spa, customer, frozen_now):
    """The customer's Swedish massage today (2026-12-01) at 10:00; the clock reads 08:00."""
    return create_booking(customer=customer, service="swedish", start=local(2026, 12, 1, 10))


def sign_in(client, user: User):
    response = client.post(
        "/admin/login/?next=/admin/", {"username": user.email, "password": "pass-word-123"}
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def test_the_migration_gave_every_role_its_permissions():
    groups = {group.name: group for group in Group.objects.prefetch_related("permissions")}
    assert set(groups) >= {"manager", "front_desk", "technician"}
    assert groups["manager"].permissions.count() == Permission.objects.count()
    desk_names = {
        f"{permission.content_type.app_label}.{permission.codename}"
        for permission in groups["front_desk"].permissions.select_related("content_type")
    }
    assert desk_names == set(FRONT_DESK_PERMISSIONS)
    assert groups["technician"].permissions.count() == 0


def test_set_role_repairs_a_group_that_lost_its_permissions():
    Group.objects.get(name="front_desk").permissions.clear()

    desk = staff("desk@example.com", Role.FRONT_DESK)

    assert desk.has_perm("bookings.change_booking")
    assert desk.has_perm("resources.add_slothold")
    assert not desk.has_perm("spa.change_spasettings")
    assert sync_role_groups()["front_desk"].permissions.count() == len(FRONT_DESK_PERMISSIONS)


def test_manager_sees_and_changes_everything(client, boss, spa):
    sign_in(client, boss)

    index = client.get("/admin/").content.decode()

    assert "have permission to view or edit anything" not in index
    for section in ("Bookings", "Users", "Spa settings", "Services", "Peak pricing", "Outbox"):
        assert section in index
    settings_page = client.get(reverse("admin:spa_spasettings_change", args=[1]))
    assert settings_page.status_code == 200 and 'name="tax_rate"' in settings_page.content.decode()


def test_front_desk_sees_bookings_customers_and_holds_only(client, desk, spa):
    sign_in(client, desk)

    index = client.get("/admin/").content.decode()

    assert "have permission to view or edit anything" not in index
    for section in ("Bookings", "Users", "Slot holds"):
        assert section in index
    for forbidden in ("Spa settings", "Peak pricing", "Outbox"):
        assert forbidden not in index
    assert client.get(reverse("admin:spa_spasettings_change", args=[1])).status_code == 403
    assert client.get(reverse("admin:catalog_service_changelist")).status_code == 403


def test_front_desk_checks_a_guest_in_and_marks_a_no_show(client, desk, today_booking, customer):
    sign_in(client, desk)
    other = create_booking(
        customer=customer, service="swedish", start=local(2026, 12, 1, 13), technician="ben"
    )
    changelist = reverse("admin:bookings_booking_changelist")

    listing = client.get(changelist).content.decode()
    assert today_booking.reference in listing
    assert 'value="cancel_waiving_fee"' not in listing  # a manager's decision
    client.post(changelist, {"action": "check_in", "_selected_action": [today_booking.pk]})
    client.post(changelist, {"action": "no_show", "_selected_action": [other.pk]})

    today_booking.refresh_from_db()
    assert today_booking.status == BookingStatus.IN_PROGRESS
    assert today_booking.history.get(action="booking.in_progress").actor == desk
    # a no-show before the start is refused, with the reason, and nothing changes
    assert Booking.objects.get(pk=other.pk).status == BookingStatus.CONFIRMED


def test_front_desk_adds_a_slot_hold(client, desk, spa):
    sign_in(client, desk)

    response = client.post(
        reverse("admin:resources_slothold_add"),
        {
            "technician": spa.ana.pk,
            "level": "priority",
            "starts_at_0": "2026-12-05",
            "starts_at_1": "10:00",
            "ends_at_0": "2026-12-05",
            "ends_at_1": "12:00",
            "held_until_0": "2026-12-04",
            "held_until_1": "10:00",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert SlotHold.objects.filter(technician=spa.ana).count() == 1


def test_front_desk_edits_a_customer_but_not_roles_or_staff(client, desk, boss, customer):
    sign_in(client, desk)
    customer_page = client.get(reverse("admin:accounts_user_change", args=[customer.pk]))
    manager_page = client.get(reverse("admin:accounts_user_change", args=[boss.pk]))
    manager_password = client.post(
        reverse("admin:auth_user_password_change", args=[boss.pk]),
        {"password1": "taken-over-123", "password2": "taken-over-123"},
    )

    assert customer_page.status_code == 200
    content = customer_page.content.decode()
    assert 'name="phone"' in content
    assert 'name="role"' not in content and 'name="is_superuser"' not in content
    assert manager_page.status_code == 200
    assert 'name="name"' not in manager_page.content.decode()  # view only
    assert manager_password.status_code == 403
    boss.refresh_from_db()
    assert boss.check_password("pass-word-123")


def test_technician_has_no_admin(client, db):
    technician = staff("tech@example.com", Role.TECHNICIAN)

    refused = client.post(
        "/admin/login/?next=/admin/", {"username": technician.email, "password": "pass-word-123"}
    )

    assert refused.status_code == 200  # the login form again, with its error
    assert client.get("/admin/").status_code == 302
    assert not technician.is_staff and technician.get_all_permissions() == set()


def test_a_manager_giving_a_role_in_the_admin_goes_through_the_role_service(client, boss, customer):
    sign_in(client, boss)
    page = client.get(reverse("admin:accounts_user_change", args=[customer.pk]))
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if name not in ("password", "groups", "user_permissions", "last_login", "date_joined")
        and value is not None
    }
    data.update(
        {
            "role": Role.FRONT_DESK,
            "preferences": "{}",
            "notification_preferences": "{}",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        }
    )

    response = client.post(reverse("admin:accounts_user_change", args=[customer.pk]), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    customer = User.objects.get(pk=customer.pk)
    assert customer.is_staff and customer.has_perm("bookings.change_booking")
    assert list(customer.groups.values_list("name", flat=True)) == ["front_desk"]
