"""Signed booking links open one booking only, and only while they are valid."""

from datetime import timedelta

import pytest
import time_machine

from conftest import local, make_customer
from coresync.bookings.access import booking_access_token, booking_from_access_token
from coresync.bookings.services import create_booking

pytestmark = pytest.mark.django_db


@pytest.fixture
def bookings(spa, customer, frozen_now):
    other = make_customer("other@example.com")
    first = create_booking(customer=customer, service="swedish", start=local(2026, 12, 3, 10))
    second = create_booking(customer=other, service="swedish", start=local(2026, 12, 3, 14))
    return first, second


def test_a_token_opens_its_own_booking_only(bookings):
    first, second = bookings
    token = booking_access_token(first)
    assert booking_from_access_token(token) == first
    assert booking_from_access_token(token, reference=first.reference) == first
    assert booking_from_access_token(token, reference=second.reference) is None
    assert booking_from_access_token(booking_access_token(second)) == second


def test_an_altered_or_foreign_token_opens_nothing(bookings):
    first, _second = bookings
    token = booking_access_token(first)
    assert booking_from_access_token(token[:-2] + ("AA" if token[-2:] != "AA" else "BB")) is None
    assert booking_from_access_token("") is None
    assert booking_from_access_token("x" * 600) is None


def test_a_token_expires_thirty_days_after_the_booking_ends(bookings):
    first, _second = bookings
    token = booking_access_token(first)
    with time_machine.travel(first.end + timedelta(days=29), tick=False):
        assert booking_from_access_token(token) == first
    with time_machine.travel(first.end + timedelta(days=31), tick=False):
        assert booking_from_access_token(token) is None
