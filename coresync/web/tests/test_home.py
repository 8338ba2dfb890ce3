"""The landing page: services without prices, plans with prices (SPEC §1)."""

import pytest

pytestmark = pytest.mark.django_db


def test_home_lists_services_without_prices_and_plans_with_prices(client, spa, frozen_now):
    response = client.get("/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Swedish Massage" in page and "(60 / 90 min)" in page
    assert "100.00" not in page  # no service price list on marketing pages
    assert "$249.00" in page and "Book 60 days ahead" in page


def test_home_tells_a_member_their_window(client, spa, premium_member, frozen_now):
    client.force_login(premium_member)
    page = client.get("/").content.decode()
    assert "Your Premium membership lets you book until January 30, 2027." in page
