"""The live socket (docs/realtime.md): who hears what, after commit only, and who may
connect (InMemoryChannelLayer; the Redis layer is driven by the browser test and
bench/realtime.py)."""

import asyncio
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import transaction
from django.test import Client
from rest_framework_simplejwt.tokens import AccessToken

from conftest import local
from coresync.accounts.models import Role, User
from coresync.accounts.services import set_role
from coresync.asgi import application
from coresync.bookings.services import cancel_booking, create_booking, reschedule_booking
from coresync.web.tests.socket_client import SocketClient

pytestmark = pytest.mark.django_db(transaction=True)

START = local(2026, 12, 2, 10, 0)


def session_cookie(user) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    return (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie.value}".encode())


def socket(*headers) -> SocketClient:
    return SocketClient(
        application, "/ws/live/", headers=[(b"origin", b"http://testserver"), *headers]
    )


async def received(communicator, seconds=1.0) -> list[dict]:
    messages = []
    while not await communicator.receive_nothing(timeout=seconds):
        messages.append(await communicator.receive_json_from())
    return messages


@pytest.fixture
def allowed_hosts(settings):
    settings.ALLOWED_HOSTS = ["testserver"]


def book(spa, customer, start=START):
    return create_booking(
        customer=customer,
        service="swedish",
        start=start,
        duration_minutes=60,
        technician=spa.ana,
        room=spa.suite,
    )


def test_viewers_of_a_day_hear_that_its_times_changed_after_commit(
    spa, customer, frozen_now, allowed_hosts
):
    async def scenario():
        viewer, other_day = socket(), socket()
        assert (await viewer.connect())[0] and (await other_day.connect())[0]
        await viewer.send_json_to({"type": "watch", "date": "2026-12-02"})
        await other_day.send_json_to({"type": "watch", "date": "2026-12-03"})
        assert (await viewer.receive_json_from())["type"] == "watching"
        await other_day.receive_json_from()

        await database_sync_to_async(book)(spa, customer)

        heard = await received(viewer)
        assert heard == [
            {
                "type": "availability.changed",
                "data": {"date": "2026-12-02", "resources": ["ana", "suite-a"]},
            }
        ]
        assert await received(other_day, 0.3) == []
        await viewer.disconnect()
        await other_day.disconnect()

    asyncio.run(scenario())


def test_a_rolled_back_change_is_never_announced(spa, customer, frozen_now, allowed_hosts):
    def book_then_roll_back():
        with transaction.atomic():
            book(spa, customer)
            transaction.set_rollback(True)

    async def scenario():
        viewer = socket()
        await viewer.connect()
        await viewer.send_json_to({"type": "watch", "date": "2026-12-02"})
        await viewer.receive_json_from()

        await database_sync_to_async(book_then_roll_back)()

        assert await received(viewer, 0.5) == []
        await viewer.disconnect()

    asyncio.run(scenario())


def test_a_reschedule_tells_both_days(spa, customer, frozen_now, allowed_hosts):
    booking = book(spa, customer)

    async def scenario():
        viewer = socket()
        await viewer.connect()
        for day in ("2026-12-02", "2026-12-03"):
            await viewer.send_json_to({"type": "watch", "date": day})
            await viewer.receive_json_from()

        await database_sync_to_async(reschedule_booking)(
            booking, start=START + timedelta(days=1), actor=customer
        )

        heard = await received(viewer)
        assert [(m["type"], m["data"]["date"]) for m in heard] == [
            ("availability.changed", "2026-12-02"),
            ("availability.changed", "2026-12-03"),
        ]
        await viewer.disconnect()

    asyncio.run(scenario())


def test_private_groups_follow_the_signed_in_user(spa, customer, frozen_now, allowed_hosts):
    ana = User.objects.create_user(email="ana@example.com", password="pass-word-123", name="Ana")
    set_role(ana, Role.TECHNICIAN)
    spa.ana.user = ana
    spa.ana.save(update_fields=["user"])
    desk = set_role(
        User.objects.create_user(email="desk@example.com", password="pass-word-123", name="D"),
        Role.FRONT_DESK,
    )
    stranger = User.objects.create_user(email="x@example.com", password="pass-word-123", name="X")
    booking = book(spa, customer)
    headers = {
        "ana": [session_cookie(ana)],
        "desk": [session_cookie(desk)],
        "customer": [(b"authorization", f"Bearer {AccessToken.for_user(customer)}".encode())],
        "stranger": [session_cookie(stranger)],
        "anonymous": [],
    }

    async def scenario():
        sockets = {name: socket(*each) for name, each in headers.items()}
        for each in sockets.values():
            assert (await each.connect())[0]

        await database_sync_to_async(cancel_booking)(booking, actor=customer)

        heard = {name: await received(each, 0.5) for name, each in sockets.items()}
        expected = {
            "type": "booking.cancelled",
            "data": {
                "reference": booking.reference,
                "status": "cancelled",
                "dates": ["2026-12-02"],
                "technicians": ["ana"],
                "room": "suite-a",
            },
        }
        assert heard == {
            "ana": [expected],
            "desk": [expected],
            "customer": [expected],
            "stranger": [],
            "anonymous": [],
        }
        for each in sockets.values():
            await each.disconnect()

    asyncio.run(scenario())


def test_a_socket_from_another_site_is_refused(spa, allowed_hosts):
    async def scenario():
        foreign = SocketClient(
            application, "/ws/live/", headers=[(b"origin", b"https://evil.example")]
        )
        connected, code = await foreign.connect()
        assert (connected, code) == (False, 4003)

    asyncio.run(scenario())


def test_bad_messages_are_answered_with_an_error(spa, allowed_hosts):
    async def scenario():
        viewer = socket()
        await viewer.connect()
        await viewer.send_json_to({"type": "watch", "date": "2026-13-45"})
        await viewer.send_json_to({"type": "subscribe", "group": "desk"})
        await viewer.send_json_to({"type": "ping"})
        assert await received(viewer, 0.3) == [
            {"type": "error", "data": {"code": "invalid_date"}},
            {"type": "error", "data": {"code": "unknown_message"}},
            {"type": "pong"},
        ]
        await viewer.disconnect()

    asyncio.run(scenario())
