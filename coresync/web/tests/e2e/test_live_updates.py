"""Live updates in real browsers over a real Redis channel layer (issue 16): two guests look
at the same day's times; one books; the other's times change without a reload. A
technician's day shows a new booking without a reload. The desk plays a scene by hand and
sees the devices' answers arrive. The whole
ASGI application (HTTP and WebSocket) is served by uvicorn in a thread, as in production.

Redis: ``REALTIME_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/11``), with a channel
prefix of this run's own so that parallel runs never hear each other.
"""

import os
import socket
import threading
import time
import uuid
from importlib.util import find_spec

import pytest
import redis
import uvicorn
from playwright.sync_api import expect

from conftest import local, make_customer
from coresync.accounts.models import Role, User
from coresync.accounts.services import set_role
from coresync.bookings.models import Booking
from coresync.bookings.services import create_booking
from coresync.iot.models import Device
from coresync.iot.services import SCENE_TOPIC, install_default_scenes
from coresync.notifications.outbox import dispatch_due
from coresync.resources.models import WorkingHours
from coresync.web.tests.e2e.conftest import DESKTOP, MOBILE, screenshot
from coresync.web.tests.e2e.test_pages import serious_axe_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

REDIS_URL = os.environ.get("REALTIME_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")
DAY = "/book/?service=swedish&duration=60&guests=1&date=2026-12-02"
READY = DAY + "&start=2026-12-02T10%3A00%3A00-05%3A00&technician=ana"


@pytest.fixture
def redis_layer(settings):
    """Channels over Redis, with a prefix of this test's own (deleted afterwards)."""
    client = redis.Redis.from_url(REDIS_URL)
    client.ping()  # no Redis is a failure, not a skip: CI runs this test for real
    prefix = f"coresync-test-{uuid.uuid4().hex[:10]}"
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # As in settings: a socket timeout above channels-redis's 5 s blocking pop.
                "hosts": [{"address": REDIS_URL, "socket_timeout": 15}],
                "prefix": prefix,
            },
        }
    }
    yield prefix
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


@pytest.fixture
def site(transactional_db, spa, ticking_clock, redis_layer, settings):
    """Serve ``coresync.asgi.application`` with uvicorn on a free loopback port (replaces
    the e2e conftest's WSGI live server: it has no WebSockets), static files included."""
    from channels.routing import ProtocolTypeRouter
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    from coresync.asgi import http_application
    from coresync.web.sockets import socket_application

    application = ProtocolTypeRouter(
        {"http": ASGIStaticFilesHandler(http_application), "websocket": socket_application()}
    )
    if not (find_spec("websockets") or find_spec("wsproto")):
        pytest.fail("uvicorn has no WebSocket implementation: add websockets (docs/realtime.md)")
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        # log_config=None: uvicorn would otherwise replace the project's logging handlers
        # (the token-masking filters) for every later test of the session.
        uvicorn.Config(
            application,
            host="127.0.0.1",
            port=port,
            lifespan="off",
            log_level="warning",
            log_config=None,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def book_elsewhere(customer, start) -> None:
    """Book Ana's Swedish massage at ``start`` for ``customer`` in a thread of its own, as a
    server's worker would (Playwright's event loop runs in this one)."""
    booked = threading.Thread(
        target=create_booking,
        kwargs={"customer": customer, "service": "swedish", "start": start, "technician": "ana"},
    )
    booked.start()
    booked.join(timeout=30)


def test_one_guest_books_and_the_other_guests_times_update_without_reload(open_page, spa):
    # Only Ana works that day: her booked hour is gone for everyone.
    WorkingHours.objects.filter(technician=spa.ben).delete()
    booker = make_customer("first@example.com")
    watcher = make_customer("second@example.com")
    watching = open_page(DAY, user=watcher, viewport=DESKTOP)
    booking = open_page(READY, user=booker, viewport=DESKTOP)
    ten = watching.get_by_role("button", name="10:00 AM", exact=True)
    expect(ten).to_be_visible()
    expect(watching.locator("html")).to_have_attribute("data-live", "open")
    watching.evaluate("window.notReloaded = true")
    screenshot(watching, "live-times-before")

    expect(booking.locator("#confirm-booking")).to_be_visible()
    booking.locator("#confirm-booking").click()
    expect(booking.locator("h1")).to_have_text("Your booking is confirmed")

    expect(ten).to_have_count(0, timeout=5000)
    # 9:00 would overlap the booking (60 min + 15 min buffer); 11:15 is free again.
    expect(watching.get_by_role("button", name="9:00 AM", exact=True)).to_have_count(0)
    expect(watching.get_by_role("button", name="11:15 AM", exact=True)).to_be_visible()
    expect(watching.locator("#flow-status")).to_have_text("The free times were updated.")
    assert watching.evaluate("window.notReloaded") is True
    assert Booking.objects.count() == 1
    screenshot(watching, "live-times-after")
    # axe is injected as an inline script: a page of its own without the CSP.
    checked = open_page(DAY, user=watcher, viewport=DESKTOP, bypass_csp=True)
    expect(checked.locator("html")).to_have_attribute("data-live", "open")
    assert serious_axe_violations(checked) == []


def test_a_technicians_day_shows_a_new_booking_without_reload(open_page, spa):
    ana = User.objects.create_user(email="ana@example.com", password="pass-word-123", name="Ana")
    set_role(ana, Role.TECHNICIAN)
    spa.ana.user = ana
    spa.ana.save(update_fields=["user"])
    guest = make_customer("alexandra@example.com")
    guest.name = "Alexandra Whitfield"
    guest.save()
    page = open_page("/staff/", user=ana, viewport=MOBILE)
    expect(page.locator("#day-bookings")).to_contain_text("No bookings this day.")
    expect(page.locator("html")).to_have_attribute("data-live", "open")
    page.evaluate("window.notReloaded = true")

    # Booked elsewhere (the desk, the app)
    book_elsewhere(guest, local(2026, 12, 1, 14))

    expect(page.locator("#day-bookings")).to_contain_text("Alexandra", timeout=5000)
    expect(page.locator("#day-bookings")).not_to_contain_text("Whitfield")
    expect(page.locator("#live-status")).to_have_text("Your day was updated.")
    assert page.evaluate("window.notReloaded") is True
    screenshot(page, "live-technician-day")


def test_the_desk_plays_a_scene_and_sees_the_devices_answer_live(open_page, spa):
    install_default_scenes()  # flushed by earlier transactional tests
    desk = User.objects.create_user(email="desk@example.com", password="pass-word-123", name="D")
    set_role(desk, Role.FRONT_DESK)
    for kind in ("lights", "audio"):
        Device.objects.create(
            room=spa.suite,
            slug=f"suite-a-{kind}",
            name=f"Suite A {kind}",
            kind=kind,
            topic=f"spa/suite-a/{kind}",
        )
    page = open_page("/desk/rooms/", user=desk, viewport=DESKTOP)
    expect(page.locator("#rooms")).to_contain_text("No commands yet.")
    page.get_by_label("Scene").select_option("kyoto")
    page.get_by_role("button", name="Play now").click()
    expect(page.get_by_text("The scene was sent to Suite A.")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("data-live", "open")
    page.evaluate("window.notReloaded = true")

    # The outbox dispatcher (a worker elsewhere) sends it; the log-only provider answers.
    worker = threading.Thread(target=dispatch_due, kwargs={"topics": [SCENE_TOPIC]})
    worker.start()
    worker.join(timeout=30)

    expect(page.locator("#rooms tr[data-command-status='sent']")).to_have_count(2, timeout=5000)
    expect(page.locator("#rooms")).to_contain_text("Kyoto garden (Manual)")
    expect(page.locator("#rooms-status")).to_have_text("The rooms were updated.")
    assert page.evaluate("window.notReloaded") is True
    screenshot(page, "live-desk-rooms")
    checked = open_page("/desk/rooms/", user=desk, viewport=DESKTOP, bypass_csp=True)
    assert serious_axe_violations(checked) == []


def test_the_desk_board_shows_a_booking_made_elsewhere_without_waiting_for_its_poll(open_page, spa):
    desk = User.objects.create_user(email="desk@example.com", password="pass-word-123", name="D")
    set_role(desk, Role.FRONT_DESK)
    guest = make_customer("walker@example.com")
    guest.name = "Walker Gray"
    guest.save()
    page = open_page("/desk/?date=2026-12-01", user=desk, viewport=DESKTOP)
    expect(page.locator("#board")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("data-live", "open")
    page.evaluate("window.notReloaded = true")

    # Booked elsewhere (the site, the assistant)
    book_elsewhere(guest, local(2026, 12, 1, 15))

    # The board polls every 20 s; the socket brings it in well before
    expect(page.locator("#board")).to_contain_text("Walker Gray", timeout=5000)
    assert page.evaluate("window.notReloaded") is True
    screenshot(page, "live-desk-board")
