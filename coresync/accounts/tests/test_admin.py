"""The user admin: email-keyed accounts, created with a password typed twice."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from coresync.accounts.models import Role, User
from coresync.memberships.models import Membership, MembershipPlan, MembershipStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client):
    user = User.objects.create_superuser("manager@coresync.test", None, name="Mia Manager")
    client.force_login(user)
    return user


@pytest.fixture
def member():
    customer = User.objects.create_user(
        "grace@example.com", None, name="Grace Hopper", phone="+1 212 555 0100"
    )
    premium = MembershipPlan.objects.create(
        slug="premium",
        name="Premium",
        tier="premium",
        advance_days=60,
        discount_percent=Decimal("40"),
        monthly_price=Decimal("299.00"),
    )
    Membership.objects.create(
        customer=customer, plan=premium, started_on=date(2026, 1, 1), credits_used=2
    )
    return customer


def test_changelist_add_and_change_pages_render(manager, client, member):
    changelist = client.get(reverse("admin:accounts_user_changelist"))
    add = client.get(reverse("admin:accounts_user_add"))
    change = client.get(reverse("admin:accounts_user_change", args=[member.pk]))
    password = client.get(reverse("admin:auth_user_password_change", args=[member.pk]))

    assert changelist.status_code == 200
    assert "grace@example.com" in changelist.content.decode()
    assert add.status_code == 200
    assert change.status_code == 200
    assert password.status_code == 200


def test_change_page_lists_memberships_read_only(manager, client, member):
    response = client.get(reverse("admin:accounts_user_change", args=[member.pk]))

    content = response.content.decode()
    assert "Premium" in content
    assert 'name="memberships-0-status"' not in content
    assert "memberships-TOTAL_FORMS" in content


def test_add_form_creates_user_with_normalized_email_and_password(manager, client):
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "Ada.Lovelace@Example.COM",
            "name": "Ada Lovelace",
            "role": Role.FRONT_DESK,
            "password1": "analytical-engine-1843",
            "password2": "analytical-engine-1843",
        },
    )

    assert response.status_code == 302
    user = User.objects.get(email="ada.lovelace@example.com")
    assert user.name == "Ada Lovelace"
    assert user.role == Role.FRONT_DESK
    assert user.check_password("analytical-engine-1843")


def test_add_form_refuses_mismatched_passwords_and_creates_nothing(manager, client):
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "ada@example.com",
            "name": "Ada Lovelace",
            "role": Role.CUSTOMER,
            "password1": "analytical-engine-1843",
            "password2": "difference-engine-1822",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["password2"]
    assert not User.objects.filter(email="ada@example.com").exists()


def test_add_form_refuses_an_email_taken_in_another_case(manager, client, member):
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "GRACE@example.com",
            "name": "Another Grace",
            "role": Role.CUSTOMER,
            "password1": "analytical-engine-1843",
            "password2": "analytical-engine-1843",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"]
    assert User.objects.filter(email__iexact="grace@example.com").count() == 1


@pytest.mark.parametrize("term", ["grace@", "Hopper", "555 0100"])
def test_search_by_email_name_and_phone(manager, client, member, term):
    response = client.get(reverse("admin:accounts_user_changelist"), {"q": term})

    assert [user.email for user in response.context["cl"].result_list] == ["grace@example.com"]


def test_filter_by_role(manager, client, member):
    response = client.get(reverse("admin:accounts_user_changelist"), {"role__exact": "manager"})

    assert [user.email for user in response.context["cl"].result_list] == ["manager@coresync.test"]


def test_membership_status_is_unchanged_by_saving_the_user(manager, client, member):
    url = reverse("admin:accounts_user_change", args=[member.pk])
    form = client.get(url).context["adminform"].form
    data = {
        "email": member.email,
        "name": "Grace B. Hopper",
        "phone": member.phone,
        "role": member.role,
        "is_active": "on",
        "preferences": '{"pressure": "medium"}',
        "notification_preferences": "{}",
        "memberships-TOTAL_FORMS": "1",
        "memberships-INITIAL_FORMS": "1",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
        "memberships-0-id": str(member.memberships.get().pk),
        "memberships-0-customer": str(member.pk),
        "memberships-0-status": MembershipStatus.CANCELLED,
    }
    assert "password" in form.fields

    response = client.post(url, data)

    assert response.status_code == 302
    member.refresh_from_db()
    assert member.name == "Grace B. Hopper"
    assert member.preferences == {"pressure": "medium"}
    assert member.memberships.get().status == MembershipStatus.ACTIVE
