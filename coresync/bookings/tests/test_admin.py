"""The bookings admin: read-only money and state, service-backed actions, bounded queries."""

import sys
import types
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from coresync.accounts.models import Role, User
from coresync.bookings.models import (
    Booking,
    BookingAddOn,
    BookingHistory,
    BookingStatus,
    BookingTier,
)
from coresync.catalog.models import AddOn, Service, ServiceCategory, ServiceVariant
from coresync.core.errors import DomainError
from coresync.resources.models import Room, Technician
from coresync.scheduling.models import Allocation, technician_key

pytestmark = pytest.mark.django_db

# 14:00 UTC on 10 March 2026 is 10:00 in New York (EDT, the day after the DST change).
FIRST_START = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)


@pytest.fixture
def manager(client):
    user = User.objects.create_superuser("manager@coresync.test", None, name="Mia Manager")
    client.force_login(user)
    return user


@pytest.fixture
def customer():
    return User.objects.create_user(
        "grace@example.com", None, name="Grace Hopper", role=Role.CUSTOMER
    )


@pytest.fixture
def swedish():
    massage = ServiceCategory.objects.create(slug="massage", name="Massage")
    service = Service.objects.create(
        slug="swedish",
        name="Swedish massage",
        category=massage,
        skill="swedish",
        room_types=["private"],
    )
    ServiceVariant.objects.create(service=service, minutes=60, price=Decimal("150.00"))
    return service


@pytest.fixture
def technician():
    return Technician.objects.create(slug="ana", name="Ana", skills=["swedish"])


@pytest.fixture
def room():
    return Room.objects.create(slug="private-1", name="Private 1", room_type="private")


@pytest.fixture
def make_booking(customer, swedish, technician, room):
    """Build a confirmed booking row directly, as the booking service would store it."""
    counter = iter(range(1, 10_000))

    def make(*, start=FIRST_START, status=BookingStatus.CONFIRMED, booking_customer=customer):
        number = next(counter)
        booking = Booking.objects.create(
            reference=f"CS-2026-{number:06d}",
            customer=booking_customer,
            service=swedish,
            duration_minutes=60,
            technician=technician,
            room=room,
            start=start,
            end=start + timedelta(minutes=60),
            status=status,
            tier=BookingTier.NON_MEMBER,
            price_lines=[
                {"code": "base", "label": "Swedish massage 60 min", "amount": "150.00"},
                {"code": "tax", "label": "Tax 8.875%", "amount": "13.31"},
            ],
            subtotal=Decimal("150.00"),
            tax=Decimal("13.31"),
            total=Decimal("163.31"),
        )
        Allocation.objects.create(
            booking=booking,
            resource_key=technician_key(technician.pk),
            technician=technician,
            starts_at=booking.start,
            ends_at=booking.end,
        )
        BookingHistory.objects.create(
            booking=booking, action="booking.created", to_status=status, data={"via": "test"}
        )
        return booking

    return make


def changelist_url() -> str:
    return reverse("admin:bookings_booking_changelist")


def change_url(booking: Booking) -> str:
    return reverse("admin:bookings_booking_change", args=[booking.pk])


def test_changelist_shows_start_in_spa_local_time(manager, client, make_booking):
    make_booking()

    response = client.get(changelist_url())

    assert response.status_code == 200
    content = response.content.decode()
    assert "CS-2026-000001" in content
    assert "March 10, 2026, 10 a.m." in content


def test_change_page_shows_inlines_and_price_lines(manager, client, make_booking):
    booking = make_booking()
    hot_stones = AddOn.objects.create(slug="hot-stones", name="Hot stones", price=Decimal("25"))
    BookingAddOn.objects.create(booking=booking, addon=hot_stones, price=Decimal("25.00"))

    response = client.get(change_url(booking))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Hot stones" in content
    assert f"technician:{booking.technician_id}" in content
    assert "booking.created" in content
    assert "Swedish massage 60 min" in content
    assert "Tax 8.875%" in content


def test_add_page_is_forbidden(manager, client):
    response = client.get(reverse("admin:bookings_booking_add"))

    assert response.status_code == 403


def test_delete_page_is_forbidden(manager, client, make_booking):
    booking = make_booking()

    response = client.get(reverse("admin:bookings_booking_delete", args=[booking.pk]))

    assert response.status_code == 403
    assert Booking.objects.filter(pk=booking.pk).exists()


@pytest.mark.parametrize("term", ["CS-2026-000002", "ada@example.com", "Lovelace"])
def test_search_finds_by_reference_customer_email_and_name(manager, client, make_booking, term):
    ada = User.objects.create_user("ada@example.com", None, name="Ada Lovelace")
    make_booking()
    make_booking(start=FIRST_START + timedelta(hours=2), booking_customer=ada)

    response = client.get(changelist_url(), {"q": term})

    assert response.status_code == 200
    assert [booking.reference for booking in response.context["cl"].result_list] == [
        "CS-2026-000002"
    ]


def test_changelist_of_30_bookings_runs_a_bounded_number_of_queries(
    manager, client, make_booking, django_assert_max_num_queries
):
    for index in range(30):
        make_booking(start=FIRST_START + timedelta(hours=index))

    with django_assert_max_num_queries(12):
        response = client.get(changelist_url())

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 30


def test_post_changes_notes_but_not_money_status_or_reference(manager, client, make_booking):
    booking = make_booking()

    response = client.post(
        change_url(booking),
        {
            "notes": "Prefers the window side.",
            "preferences": '{"pressure": "firm"}',
            "status": BookingStatus.COMPLETED,
            "total": "0.00",
            "reference": "CS-2026-999999",
            "tier": BookingTier.VIP,
            "price_lines": "[]",
            "booking_addons-TOTAL_FORMS": "0",
            "booking_addons-INITIAL_FORMS": "0",
            "allocations-TOTAL_FORMS": "1",
            "allocations-INITIAL_FORMS": "1",
            "history-TOTAL_FORMS": "1",
            "history-INITIAL_FORMS": "1",
        },
    )

    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.notes == "Prefers the window side."
    assert booking.preferences == {"pressure": "firm"}
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.total == Decimal("163.31")
    assert booking.reference == "CS-2026-000001"
    assert booking.tier == BookingTier.NON_MEMBER
    assert len(booking.price_lines) == 2


@pytest.fixture
def fake_services(monkeypatch):
    """Stand in for ``coresync.bookings.services``: record calls, refuse CS-2026-000002."""
    calls = []

    def transition(name):
        def call(booking, *, actor, now=None, **options):
            calls.append((name, booking.reference, actor.email, options))
            if booking.reference == "CS-2026-000002":
                raise DomainError("This booking cannot change now.")

        return call

    module = types.ModuleType("coresync.bookings.services")
    module.cancel_booking = transition("cancel")
    module.check_in_booking = transition("check_in")
    module.complete_booking = transition("complete")
    module.mark_no_show = transition("no_show")
    monkeypatch.setitem(sys.modules, "coresync.bookings.services", module)
    return calls


@pytest.mark.parametrize(
    ("action", "service_name", "options", "done"),
    [
        ("cancel_waiving_fee", "cancel", {"waive_fee": True}, "cancelled"),
        ("check_in", "check_in", {}, "checked in"),
        ("complete", "complete", {}, "completed"),
        ("no_show", "no_show", {}, "marked no-show"),
    ],
)
def test_actions_call_the_service_per_booking_and_report_refusals(
    manager, client, make_booking, fake_services, action, service_name, options, done
):
    first = make_booking()
    second = make_booking(start=FIRST_START + timedelta(hours=2))
    third = make_booking(start=FIRST_START + timedelta(hours=4))

    response = client.post(
        changelist_url(),
        {"action": action, "_selected_action": [first.pk, second.pk, third.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert fake_services == [
        (service_name, "CS-2026-000001", "manager@coresync.test", options),
        (service_name, "CS-2026-000002", "manager@coresync.test", options),
        (service_name, "CS-2026-000003", "manager@coresync.test", options),
    ]
    messages = [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]
    assert messages == [
        ("error", "CS-2026-000002: This booking cannot change now."),
        ("success", f"2 bookings {done}."),
    ]


def test_cancel_action_cancels_through_the_service_without_a_fee(
    manager, client, make_booking, time_machine
):
    time_machine.move_to(FIRST_START - timedelta(hours=2), tick=False)
    booking = make_booking()

    response = client.post(
        changelist_url(),
        {"action": "cancel_waiving_fee", "_selected_action": [booking.pk]},
        follow=True,
    )

    assert response.status_code == 200
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert booking.cancellation_fee == Decimal("0.00")
    assert booking.fee_waived is True
    assert booking.cancelled_by == manager
    assert not booking.allocations.filter(is_active=True).exists()
    assert booking.history.filter(action="booking.cancelled", actor=manager).count() == 1


def test_refused_transition_is_reported_and_changes_nothing(
    manager, client, make_booking, time_machine
):
    time_machine.move_to(FIRST_START - timedelta(hours=2), tick=False)
    booking = make_booking()

    response = client.post(
        changelist_url(), {"action": "no_show", "_selected_action": [booking.pk]}, follow=True
    )

    messages = [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]
    assert messages == [
        (
            "error",
            "CS-2026-000001: A guest can only be a no-show once the start time has passed.",
        )
    ]
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.cancellation_fee is None
    assert booking.history.count() == 1


def test_check_in_then_complete_through_the_services(manager, client, make_booking, time_machine):
    time_machine.move_to(FIRST_START + timedelta(minutes=5), tick=False)
    booking = make_booking()

    for action in ("check_in", "complete"):
        client.post(changelist_url(), {"action": action, "_selected_action": [booking.pk]})

    booking.refresh_from_db()
    assert booking.status == BookingStatus.COMPLETED
    assert booking.checked_in_at == FIRST_START + timedelta(minutes=5)
    assert list(booking.history.values_list("to_status", flat=True)) == [
        BookingStatus.CONFIRMED,
        BookingStatus.IN_PROGRESS,
        BookingStatus.COMPLETED,
    ]
