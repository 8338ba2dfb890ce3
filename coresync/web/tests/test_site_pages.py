"""Marketing, information and error pages: they render, show no service prices (SPEC §1),
show membership prices and the real cancellation policy, and stay within the page budget."""

import gzip
import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import RequestFactory

from coresync.web.views.errors import server_error

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/mens-suite/",
    "/private-spa/",
    "/services/",
    "/services/swedish/",
    "/technologies/",
    "/membership/",
    "/contact/",
    "/legal/privacy/",
    "/legal/terms/",
    "/legal/cancellation/",
    "/account/login/",
    "/account/signup/",
    "/account/password/reset/",
    "/book/",
    "/book/?service=swedish",
]
BUDGET_BYTES = 200 * 1024


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_without_service_prices(client, spa, frozen_now, path):
    response = client.get(path)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<main" in page and 'lang="en"' in page
    assert "$100.00" not in page and "$140.00" not in page  # Swedish massage prices


def test_the_membership_page_compares_tiers_with_prices(client, spa, frozen_now):
    page = client.get("/membership/").content.decode()
    for text in ("$149.00", "$249.00", "$599.00", "30 days", "60 days", "90 days", "40%"):
        assert text in page
    assert "Yes, and VIP-only slots" in page
    assert 'name="plan" value="premium"' in page


def test_the_cancellation_policy_shows_the_spas_values_and_plan_overrides(client, spa):
    plan = spa.plans["premium"]
    plan.free_cancellation_hours = 12
    plan.save()
    page = client.get("/legal/cancellation/").content.decode()
    assert "Free cancellation until 24 hours before your start time." in page
    assert "late-cancellation fee of 50% of the booking" in page
    assert "no-show fee of 100% of the total" in page
    assert "Premium members" in page and "Free cancellation until 12 hours before." in page


def test_the_services_detail_page_404s_for_an_unknown_service(client, spa):
    response = client.get("/services/nope/")
    assert response.status_code == 404
    assert "This page is not here" in response.content.decode()


def test_the_500_page_renders_without_the_database(spa):
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


def _asset_urls(page: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+\.(?:css|js))"', page)


@pytest.mark.parametrize("path", PAGES)
def test_each_page_stays_under_200_kb_compressed(client, spa, frozen_now, path):
    page = client.get(path).content
    total = len(gzip.compress(page))
    assets = _asset_urls(page.decode())
    assert any(url.endswith("htmx.min.js") for url in assets)
    for url in assets:
        found = finders.find(url.removeprefix("/static/"))
        assert found, url
        with open(found, "rb") as asset:
            total += len(gzip.compress(asset.read()))
    assert total < BUDGET_BYTES


def _css_rules() -> list[tuple[str, str]]:
    css = (Path(__file__).parents[1] / "static" / "web" / "site.css").read_text()
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    return [(selector.strip(), body) for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css)]


@pytest.mark.parametrize(
    ("day", "swatch"),
    [
        (".day--available", ".swatch--available"),
        (".day--members_only.day--bookable", ".swatch--priority"),
        (".day--members_only:not(.day--bookable)", ".swatch--members_only"),
        (".day--beyond_plan", ".swatch--beyond"),
        (".day--window-end", ".swatch--window-end"),
        (".day--unavailable", ".swatch--unavailable"),
        (".day--today", ".swatch--today"),
        (".day.day--selected", ".swatch--selected"),
    ],
)
def test_each_legend_swatch_is_drawn_by_the_same_rule_as_its_day(day, swatch):
    selectors = [[part.strip() for part in selector.split(",")] for selector, _body in _css_rules()]
    assert any(day in parts and swatch in parts for parts in selectors)


def test_bookable_days_are_filled_and_days_a_guest_cannot_take_are_not():
    rules = dict(_css_rules())
    available = rules[".day--available, .swatch--available"]
    members_only = next(
        body for selector, body in _css_rules() if ".swatch--members_only" in selector
    )
    assert "background: transparent" not in available and "solid" in available
    assert "background: transparent" in members_only and "dashed" in members_only


def test_the_contact_page_shows_the_opening_hours(client, spa):
    page = client.get("/contact/").content.decode()
    assert "Opening hours" in page
    assert '<th scope="row">Monday</th><td>9:00 AM – 9:00 PM</td>' in page
    assert '<th scope="row">Sunday</th><td>9:00 AM – 9:00 PM</td>' in page


def test_no_copy_reads_like_developer_notes(client, spa, premium_member, frozen_now):
    from conftest import local
    from coresync.bookings.services import create_booking

    booking = create_booking(
        customer=premium_member, service="swedish", start=local(2026, 12, 3, 10)
    )
    client.force_login(premium_member)
    pages = [
        client.get("/book/").content.decode(),
        client.get(f"/account/bookings/{booking.reference}/reschedule/").content.decode(),
    ]
    for page in pages:
        assert "this page&#x27;s address" not in page and "this page's address" not in page
        assert f"Move {booking.reference}" not in page
    assert "Change the time of your Swedish Massage" in pages[1]
