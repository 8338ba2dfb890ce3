"""The front desk's day board and booking on behalf (docs/front-desk.md): each button goes
through the booking services; nobody but the desk and managers may press one."""

import re
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from conftest import local
from coresync.accounts.models import Role, User
from coresync.bookings.models import Booking, BookingHistory, BookingStatus
from coresync.dashboard.errors import Forbidden
from coresync.dashboard.selectors import day_board
from coresync.dashboard.services import run_desk_action
from coresync.payments.models import Payment, PaymentCustomer, PaymentKind, PaymentStatus
from coresync.payments.tests.support import run_payment_jobs
from factories import BookingFactory, CustomerFactory, StaffFactory

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def front_desk(spa):
    return StaffFactory(email="desk@example.com", name="Dee Desk", role=Role.FRONT_DESK)


@pytest.fixture
def guest(spa):
    return CustomerFactory(email="sam@example.com", name="Sam Rivers", phone="+12125550123")


@pytest.fixture
def todays(guest, frozen_now):
    """Sam's Swedish massage with hot stones today (Tue 1 Dec) at 10:00 with Ana."""
    return BookingFactory(
        customer=guest,
        start=local(2026, 12, 1, 10),
        technician="ana",
        addon_slugs=["hot-stones"],
        preferences={"pressure": "firm"},
        enforce_booking_window=False,
    )


def _messages(*responses) -> str:
    """The messages the pages show (what the desk reads after a refusal)."""
    return " | ".join(
        message
        for response in responses
        for message in re.findall(r'<li class="message[^"]*">(.*?)</li>', response.content.decode())
    )


def post_action(client, booking, action, **data):
    return client.post(f"/desk/bookings/{booking.reference}/{action}/", data)


def test_the_board_shows_the_guest_by_full_name_with_add_ons_and_preferences(front_desk, todays):
    page = signed_in(front_desk).get("/desk/?date=2026-12-01")

    html = page.content.decode()
    assert page.status_code == 200
    assert "Sam Rivers" in html
    assert "Hot Stones" in html
    assert 'aria-label="Has preferences"' in html
    assert "block--confirmed" in html
    assert 'hx-trigger="every 20s, board-changed from:body"' in html
    # 08:00 is inside the check-in window (120 min before 10:00); the start has not come.
    assert f"/desk/bookings/{todays.reference}/check_in/" in html
    assert f"/desk/bookings/{todays.reference}/no_show/" not in html


def test_check_in_then_complete_from_the_board_writes_history(front_desk, todays):
    client = signed_in(front_desk)

    post_action(client, todays, "check_in")
    with time_machine.travel(local(2026, 12, 1, 11, 15), tick=False):
        post_action(client, todays, "complete")

    todays.refresh_from_db()
    assert todays.status == BookingStatus.COMPLETED
    assert list(
        BookingHistory.objects.filter(booking=todays)
        .exclude(action="booking.created")
        .values_list("action", "actor__email")
    ) == [
        ("booking.in_progress", "desk@example.com"),
        ("booking.completed", "desk@example.com"),
    ]


def test_a_no_show_from_the_board_charges_the_policy_fee_once(
    front_desk, guest, todays, stripe_on, fake_stripe
):
    PaymentCustomer.objects.create(
        user=guest,
        provider="stripe",
        provider_customer_id="cus_saved",
        default_payment_method_id="pm_saved_card",
    )
    client = signed_in(front_desk)

    with time_machine.travel(local(2026, 12, 1, 10, 30), tick=False):
        first = post_action(client, todays, "no_show")
        second = post_action(client, todays, "no_show")  # a double click
        run_payment_jobs()
        run_payment_jobs()

    assert first.status_code == second.status_code == 302
    todays.refresh_from_db()
    assert todays.status == BookingStatus.NO_SHOW
    # The non-member policy: 100 % of the 146.98 total (135.00 + 8.875 % tax).
    assert todays.cancellation_fee == Decimal("146.98")
    assert BookingHistory.objects.filter(booking=todays, action="booking.no_show").count() == 1
    [fee] = Payment.objects.filter(kind=PaymentKind.FEE)
    assert (fee.amount, fee.status) == (Decimal("146.98"), PaymentStatus.SUCCEEDED)
    assert len(fake_stripe.intent_requests()) == 1


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.CUSTOMER])
@pytest.mark.parametrize("action", ["check_in", "no_show", "cancel", "move"])
def test_a_technician_or_a_customer_cannot_act_on_the_board(role, action, todays, guest):
    person = guest if role == Role.CUSTOMER else StaffFactory(role=Role.TECHNICIAN)
    client = signed_in(person)
    before = Booking.objects.values().get(pk=todays.pk)

    with time_machine.travel(local(2026, 12, 1, 10, 30), tick=False):
        response = post_action(client, todays, action, date="2026-12-01", time="14:00")
        board = client.get("/desk/")

    assert response.status_code == 404
    assert board.status_code == 404
    assert Booking.objects.values().get(pk=todays.pk) == before
    assert BookingHistory.objects.filter(booking=todays).count() == 1  # created only


def test_the_desk_service_refuses_a_technician_too(todays):
    technician = StaffFactory(role=Role.TECHNICIAN)

    with pytest.raises(Forbidden):
        run_desk_action(todays, "check_in", actor=technician)

    todays.refresh_from_db()
    assert todays.status == BookingStatus.CONFIRMED


def test_moving_a_booking_from_the_board_reschedules_it(front_desk, todays):
    client = signed_in(front_desk)

    response = post_action(
        client, todays, "move", date="2026-12-01", time="13:00", technician="ben"
    )

    assert response.status_code == 302
    assert "Sam Rivers: moved to 1:00 PM with Ben." in _messages(client.get(response["Location"]))
    todays.refresh_from_db()
    assert todays.start == local(2026, 12, 1, 13)
    assert todays.technician.slug == "ben"
    assert BookingHistory.objects.filter(booking=todays, action="booking.rescheduled").exists()


def test_a_refused_step_changes_nothing_and_says_why(front_desk, todays):
    client = signed_in(front_desk)

    response = post_action(client, todays, "complete")  # not checked in yet

    todays.refresh_from_db()
    assert todays.status == BookingStatus.CONFIRMED
    page = client.get(response.url)
    assert "Check the guest in before completing the booking." in page.content.decode()


def test_the_desk_finds_customers_by_name_email_or_phone(front_desk, guest):
    client = signed_in(front_desk)

    for query in ("rivers", "sam@exa", "555-0123"):
        page = client.get("/desk/book/", {"q": query}).content.decode()
        assert f"?customer={guest.pk}" in page, query
    assert (
        f"?customer={guest.pk}" not in client.get("/desk/book/", {"q": "nobody"}).content.decode()
    )


def test_the_desk_adds_a_customer_and_books_a_walk_in_at_the_next_free_start(
    front_desk, spa, frozen_now
):
    client = signed_in(front_desk)
    # Ana and Ben are busy until 10:15 (with the 15-minute buffer).
    BookingFactory(start=local(2026, 12, 1, 9), technician="ana", enforce_booking_window=False)
    BookingFactory(start=local(2026, 12, 1, 9), technician="ben", enforce_booking_window=False)

    with time_machine.travel(local(2026, 12, 1, 9, 5), tick=False):
        added = client.post(
            "/desk/book/",
            {"step": "add_customer", "name": "Walk Inn", "email": "walk@example.com"},
        )
        walker = User.objects.get(email="walk@example.com")
        booked = client.post(
            "/desk/book/", {"step": "walk_in", "customer": walker.pk, "service": "swedish"}
        )

    assert added.status_code == booked.status_code == 302
    assert not walker.has_usable_password()
    booking = Booking.objects.get(customer=walker)
    assert booking.start == local(2026, 12, 1, 10, 15)
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.history.get(action="booking.created").actor == front_desk


def test_booking_on_behalf_at_a_chosen_time_skips_the_customers_window(
    front_desk, guest, frozen_now
):
    client = signed_in(front_desk)

    # Non-members book 3 days ahead; the desk may book a week out.
    response = client.post(
        "/desk/book/",
        {
            "step": "book",
            "customer": guest.pk,
            "service": "swedish",
            "date": "2026-12-08",
            "time": "11:00",
            "technician": "ana",
        },
    )

    assert response.status_code == 302
    booking = Booking.objects.get(customer=guest)
    assert (booking.start, booking.technician.slug) == (local(2026, 12, 8, 11), "ana")
    assert booking.history.get().actor == front_desk


def test_a_desk_refusal_at_booking_creates_nothing(front_desk, guest, frozen_now):
    client = signed_in(front_desk)

    client.post(
        "/desk/book/",
        {
            "step": "book",
            "customer": guest.pk,
            "service": "swedish",
            "date": "2026-12-08",
            "time": "20:00",
        },
    )

    assert not Booking.objects.filter(customer=guest).exists()


def test_the_board_query_count_does_not_grow_with_bookings(
    front_desk, guest, frozen_now, django_assert_max_num_queries
):
    for hour in (10, 12, 14):
        BookingFactory(
            start=local(2026, 12, 1, hour), technician="ana", enforce_booking_window=False
        )
    client = signed_in(front_desk)
    client.get("/desk/")

    with django_assert_max_num_queries(16):
        client.get("/desk/?view=technicians")


def test_a_walk_in_after_the_last_free_start_is_refused_and_nothing_is_booked(
    front_desk, guest, frozen_now
):
    client = signed_in(front_desk)

    # Technicians work until 17:00; a 60-minute massage and its buffer no longer fit at 16:00.
    with time_machine.travel(local(2026, 12, 1, 16), tick=False):
        response = client.post(
            "/desk/book/", {"step": "walk_in", "customer": guest.pk, "service": "swedish"}
        )

    assert response.status_code == 200
    assert "No free time is left today for that service." in response.content.decode()
    assert not Booking.objects.filter(customer=guest).exists()


def test_a_walk_in_takes_its_length_add_ons_and_guests(front_desk, guest, frozen_now):
    client = signed_in(front_desk)
    walk_in = {"step": "walk_in", "customer": guest.pk}

    # At 15:30 a 60-minute massage still fits before 17:00 (with its buffer), but 90 minutes
    # with hot stones (+15) does not: the add-on's minutes count in the search.
    with time_machine.travel(local(2026, 12, 1, 15, 30), tick=False):
        refused = client.post(
            "/desk/book/", {**walk_in, "service": "swedish@90", "addons": ["hot-stones"]}
        )
    assert "No free time is left today for that service." in refused.content.decode()
    assert not Booking.objects.exists()

    with time_machine.travel(local(2026, 12, 1, 9, 5), tick=False):
        couple = client.post("/desk/book/", {**walk_in, "service": "couples@60", "guests": "2"})
    with time_machine.travel(local(2026, 12, 1, 15), tick=False):
        long_one = client.post(
            "/desk/book/",
            {**walk_in, "service": "swedish@90", "addons": ["hot-stones", "cbd-oil"]},
        )

    assert long_one.status_code == couple.status_code == 302, _messages(long_one, couple)
    massage = Booking.objects.get(service__slug="swedish")
    assert (massage.start, massage.duration_minutes) == (local(2026, 12, 1, 15), 90)
    assert sorted(massage.booking_addons.values_list("addon__slug", flat=True)) == [
        "cbd-oil",
        "hot-stones",
    ]
    pair = Booking.objects.get(service__slug="couples")
    assert (pair.guests, pair.room.slug, pair.start) == (
        2,
        "couples-suite",
        local(2026, 12, 1, 9, 15),
    )


@pytest.mark.parametrize(
    ("choices", "says"),
    [
        ({"service": "couples@60", "addons": ["cbd-oil"]}, "cbd-oil"),
        ({"service": "swedish@60", "guests": "0"}, "number of guests"),
        ({"service": "swedish@45"}, "60, 90 minutes"),
    ],
)
def test_a_desk_booking_with_a_bad_choice_says_why_and_books_nothing(
    front_desk, guest, frozen_now, choices, says
):
    response = signed_in(front_desk).post(
        "/desk/book/",
        {"step": "book", "customer": guest.pk, "date": "2026-12-08", "time": "11:00", **choices},
    )

    assert response.status_code == 200
    assert says in _messages(response)
    assert not Booking.objects.exists()


def test_overlapping_bookings_of_a_shared_room_stand_side_by_side(front_desk, guest, frozen_now):
    # Given three guests in the steam room (capacity 4): two at 10:00 and 10:15, one at 11:00
    others = [CustomerFactory() for _ in range(2)]
    for customer, hour, minute in ((guest, 10, 0), (others[0], 10, 15), (others[1], 11, 0)):
        BookingFactory(
            customer=customer,
            service="steam",
            start=local(2026, 12, 1, hour, minute),
            enforce_booking_window=False,
        )

    board = day_board(date(2026, 12, 1), frozen_now)

    # Then the steam room's column has two lanes: the overlapping pair apart, the later one
    # back in the first lane
    (steam,) = [column for column in board.rooms if column.slug == "steam"]
    lanes = {block.booking.customer_id: block.lane for block in steam.blocks}
    first, second, third = guest.pk, others[0].pk, others[1].pk
    assert (steam.lanes, lanes) == (2, {first: 1, second: 2, third: 1})
    html = signed_in(front_desk).get("/desk/?date=2026-12-01").content.decode()
    assert 'class="board__lane lanes-2"' in html and "lane-2" in html
