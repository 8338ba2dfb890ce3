"""The catalog admin: services with their durations and tier prices, add-ons, peak windows."""

from datetime import time
from decimal import Decimal

import pytest
from django.urls import reverse

from coresync.accounts.models import User
from coresync.catalog.models import (
    AddOn,
    PeakPricingWindow,
    Service,
    ServiceCategory,
    ServiceVariant,
)
from coresync.memberships.models import TierPrice

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client):
    user = User.objects.create_superuser("manager@coresync.test", None, name="Mia Manager")
    client.force_login(user)
    return user


@pytest.fixture
def massage():
    return ServiceCategory.objects.create(slug="massage", name="Massage")


@pytest.fixture
def swedish(massage):
    service = Service.objects.create(
        slug="swedish",
        name="Swedish massage",
        category=massage,
        skill="swedish",
        room_types=["private", "mensuite"],
    )
    ServiceVariant.objects.create(service=service, minutes=60, price=Decimal("150.00"))
    ServiceVariant.objects.create(service=service, minutes=90, price=Decimal("210.00"))
    return service


@pytest.fixture
def catalog(swedish):
    hot_stones = AddOn.objects.create(slug="hot-stones", name="Hot stones", price=Decimal("25"))
    hot_stones.services.add(swedish)
    evenings = PeakPricingWindow.objects.create(
        days=[4, 5, 6], start=time(17), end=time(21), modifier_percent=Decimal("15")
    )
    TierPrice.objects.create(service=swedish, tier="premium", minutes=60, price=Decimal("85"))
    return {
        "servicecategory": swedish.category,
        "service": swedish,
        "addon": hot_stones,
        "peakpricingwindow": evenings,
    }


@pytest.mark.parametrize("model_name", ["servicecategory", "service", "addon", "peakpricingwindow"])
def test_changelist_add_and_change_pages_render(manager, client, catalog, model_name):
    instance = catalog[model_name]

    changelist = client.get(reverse(f"admin:catalog_{model_name}_changelist"))
    add = client.get(reverse(f"admin:catalog_{model_name}_add"))
    change = client.get(reverse(f"admin:catalog_{model_name}_change", args=[instance.pk]))

    assert changelist.status_code == 200
    assert add.status_code == 200
    assert change.status_code == 200


def test_service_changelist_shows_durations(manager, client, swedish):
    response = client.get(reverse("admin:catalog_service_changelist"))

    assert "60, 90" in response.content.decode()


def test_service_changelist_queries_do_not_grow_with_services(
    manager, client, massage, django_assert_max_num_queries
):
    for index in range(20):
        service = Service.objects.create(
            slug=f"service-{index}",
            name=f"Service {index}",
            category=massage,
            room_types=["private"],
        )
        ServiceVariant.objects.create(service=service, minutes=60, price=Decimal("100"))

    with django_assert_max_num_queries(10):
        response = client.get(reverse("admin:catalog_service_changelist"))

    assert response.status_code == 200


def _service_post(massage, **overrides):
    data = {
        "name": "Deep tissue massage",
        "slug": "deep-tissue",
        "category": str(massage.pk),
        "description": "",
        "is_active": "on",
        "position": "0",
        "skill": "deep-tissue",
        "room_types": ["private", "vip"],
        "max_guests": "1",
        "buffer_before": "0",
        "buffer_after": "15",
        "slot_interval_minutes": "",
        "variants-TOTAL_FORMS": "1",
        "variants-INITIAL_FORMS": "0",
        "variants-MIN_NUM_FORMS": "1",
        "variants-MAX_NUM_FORMS": "1000",
        "variants-0-minutes": "60",
        "variants-0-price": "165.00",
        "tier_prices-TOTAL_FORMS": "1",
        "tier_prices-INITIAL_FORMS": "0",
        "tier_prices-MIN_NUM_FORMS": "0",
        "tier_prices-MAX_NUM_FORMS": "1000",
        "tier_prices-0-tier": "vip",
        "tier_prices-0-minutes": "60",
        "tier_prices-0-price": "90.00",
    }
    data.update(overrides)
    return data


def test_add_service_with_a_variant_and_a_tier_price(manager, client, massage):
    response = client.post(reverse("admin:catalog_service_add"), _service_post(massage))

    assert response.status_code == 302
    service = Service.objects.get(slug="deep-tissue")
    assert service.room_types == ["private", "vip"]
    assert service.buffer_after == 15
    assert [(v.minutes, v.price) for v in service.variants.all()] == [(60, Decimal("165.00"))]
    assert [(t.tier, t.minutes, t.price) for t in service.tier_prices.all()] == [
        ("vip", 60, Decimal("90.00"))
    ]


def test_add_self_guided_service_with_a_skill_is_refused(manager, client, massage):
    response = client.post(
        reverse("admin:catalog_service_add"), _service_post(massage, self_guided="on")
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not Service.objects.filter(slug="deep-tissue").exists()


def test_add_service_without_a_duration_is_refused(manager, client, massage):
    data = _service_post(massage)
    data.update({"variants-TOTAL_FORMS": "0"})

    response = client.post(reverse("admin:catalog_service_add"), data)

    assert response.status_code == 200
    assert not Service.objects.filter(slug="deep-tissue").exists()


def test_add_peak_window_from_weekday_checkboxes(manager, client):
    response = client.post(
        reverse("admin:catalog_peakpricingwindow_add"),
        {"days": ["4", "5"], "start": "17:00", "end": "21:00", "modifier_percent": "15"},
    )

    assert response.status_code == 302
    window = PeakPricingWindow.objects.get()
    assert window.days == [4, 5]
    assert window.modifier_percent == Decimal("15")


def test_peak_window_change_page_checks_the_stored_days(manager, client, catalog):
    window = catalog["peakpricingwindow"]

    response = client.get(reverse("admin:catalog_peakpricingwindow_change", args=[window.pk]))

    content = response.content.decode()
    assert 'value="4" id="id_days_4" checked' in content
    assert 'value="0" id="id_days_0" checked' not in content
