"""The memberships admin: plans, explicit tier prices and customers' memberships."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from coresync.accounts.models import User
from coresync.catalog.models import Service, ServiceCategory
from coresync.memberships.models import Membership, MembershipPlan, MembershipStatus, TierPrice

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client):
    user = User.objects.create_superuser("manager@coresync.test", None, name="Mia Manager")
    client.force_login(user)
    return user


@pytest.fixture
def premium():
    return MembershipPlan.objects.create(
        slug="premium",
        name="Premium",
        tier="premium",
        advance_days=60,
        discount_percent=Decimal("40"),
        priority=True,
        monthly_price=Decimal("299.00"),
        benefits=["Concierge", "Priority slots"],
    )


@pytest.fixture
def memberships(premium):
    grace = User.objects.create_user("grace@example.com", None, name="Grace Hopper")
    category = ServiceCategory.objects.create(slug="massage", name="Massage")
    swedish = Service.objects.create(
        slug="swedish", name="Swedish", category=category, skill="swedish", room_types=["private"]
    )
    return {
        "membershipplan": premium,
        "tierprice": TierPrice.objects.create(
            service=swedish, tier="premium", minutes=60, price=Decimal("85")
        ),
        "membership": Membership.objects.create(
            customer=grace, plan=premium, started_on=date(2026, 1, 1)
        ),
    }


@pytest.mark.parametrize("model_name", ["membershipplan", "tierprice", "membership"])
def test_changelist_add_and_change_pages_render(manager, client, memberships, model_name):
    instance = memberships[model_name]

    changelist = client.get(reverse(f"admin:memberships_{model_name}_changelist"))
    add = client.get(reverse(f"admin:memberships_{model_name}_add"))
    change = client.get(reverse(f"admin:memberships_{model_name}_change", args=[instance.pk]))

    assert changelist.status_code == 200
    assert add.status_code == 200
    assert change.status_code == 200


def test_plan_benefits_are_edited_one_per_line(manager, client, premium):
    url = reverse("admin:memberships_membershipplan_change", args=[premium.pk])
    assert "Concierge\nPriority slots" in client.get(url).content.decode()

    response = client.post(
        url,
        {
            "name": "Premium",
            "slug": "premium",
            "tier": "premium",
            "monthly_price": "299.00",
            "is_active": "on",
            "advance_days": "60",
            "priority": "on",
            "discount_percent": "40",
            "included_credits": "1",
            "benefits": "Concierge\n\n  Priority slots \nBirthday facial",
            "birthday_benefit": "",
            "free_cancellation_hours": "12",
            "late_cancellation_fee_percent": "",
            "no_show_fee_percent": "",
        },
    )

    assert response.status_code == 302
    premium.refresh_from_db()
    assert premium.benefits == ["Concierge", "Priority slots", "Birthday facial"]
    assert premium.free_cancellation_hours == 12
    assert premium.late_cancellation_fee_percent is None


@pytest.mark.parametrize("term", ["grace@example.com", "Hopper"])
def test_membership_search_by_customer(manager, client, memberships, term):
    other = User.objects.create_user("alan@example.com", None, name="Alan Turing")
    Membership.objects.create(
        customer=other, plan=memberships["membershipplan"], started_on=date(2026, 2, 1)
    )

    response = client.get(reverse("admin:memberships_membership_changelist"), {"q": term})

    assert list(response.context["cl"].result_list) == [memberships["membership"]]


def test_membership_filters_by_status_and_plan(manager, client, memberships, premium):
    url = reverse("admin:memberships_membership_changelist")

    active = client.get(url, {"status__exact": "active", "plan__id__exact": str(premium.pk)})
    cancelled = client.get(url, {"status__exact": "cancelled"})

    assert list(active.context["cl"].result_list) == [memberships["membership"]]
    assert list(cancelled.context["cl"].result_list) == []


def test_membership_customer_is_an_autocomplete(manager, client, memberships):
    response = client.get(reverse("admin:memberships_membership_add"))

    widget = response.context["adminform"].form.fields["customer"].widget
    assert type(widget.widget).__name__ == "AutocompleteSelect"


def test_membership_changelist_queries_do_not_grow(
    manager, client, premium, django_assert_max_num_queries
):
    for index in range(25):
        customer = User.objects.create_user(f"member{index}@example.com", None, name="Member")
        Membership.objects.create(customer=customer, plan=premium, started_on=date(2026, 1, 1))

    with django_assert_max_num_queries(10):
        response = client.get(reverse("admin:memberships_membership_changelist"))

    assert response.status_code == 200


def test_add_membership(manager, client, memberships, premium):
    alan = User.objects.create_user("alan@example.com", None, name="Alan Turing")

    response = client.post(
        reverse("admin:memberships_membership_add"),
        {
            "customer": str(alan.pk),
            "plan": str(premium.pk),
            "status": MembershipStatus.ACTIVE,
            "started_on": "2026-03-01",
            "ends_on": "",
            "current_period_start": "2026-03-01",
            "current_period_end": "2026-03-31",
            "credits_used": "0",
            # the read-only renewal and history inlines' management forms
            **{
                f"{prefix}-{field}": value
                for prefix in ("renewals", "history")
                for field, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))
            },
        },
    )

    assert response.status_code == 302
    assert alan.memberships.get().plan == premium
