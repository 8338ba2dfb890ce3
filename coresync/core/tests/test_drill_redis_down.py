"""Fault drill: Redis down (docs/fault-drills.md).

``CACHE_URL`` points at a Redis that is not there — a closed loopback port, a real
``redis-server`` this test starts and SIGKILLs, or a socket that accepts and never answers.
Every cache user must degrade: the API's throttles (sign-in, booking creation, anonymous
availability), the site's limits (:mod:`coresync.core.ratelimit`) and the spa settings
cache. Requests are answered as usual, never a 500; bookings are made and cancelled over
HTTP; the rate limits keep counting, per process; one warning is logged per outage.

Runs on SQLite and PostgreSQL (nothing here needs a second database connection).
"""

import logging
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import closing

import pytest
import redis
from rest_framework.test import APIClient

from coresync.bookings.models import Booking, BookingStatus
from coresync.core.cache import FailSoftRedisCache
from coresync.scheduling.models import Allocation
from coresync.settings import cache_config

pytestmark = [pytest.mark.drill, pytest.mark.django_db]

AVAILABILITY = {"service": "swedish", "date_from": "2026-12-02", "date_to": "2026-12-02"}
START = "2026-12-02T10:00:00-05:00"  # the day after the frozen "now"
CACHE_LOGGER = "coresync.core.cache"


def free_port() -> int:
    """Return a loopback TCP port nothing listens on right now."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def point_cache_at(settings, port: int) -> None:
    """Configure the default cache exactly as ``CACHE_URL=redis://127.0.0.1:<port>/9``
    would (settings.cache_config)."""
    settings.CACHES = {"default": cache_config(f"redis://127.0.0.1:{port}/9")}


@pytest.fixture
def redis_down(settings) -> int:
    """The cache is a Redis on a closed port; return the port."""
    port = free_port()
    point_cache_at(settings, port)
    return port


def cache_warnings(caplog) -> list[str]:
    """The cache's warnings since the test's set-up began (the fixtures use the cache)."""
    return [
        record.getMessage()
        for record in caplog.get_records("setup") + caplog.get_records("call")
        if record.name == CACHE_LOGGER and record.levelno >= logging.WARNING
    ]


def sign_in(api: APIClient, email: str, password: str = "wrong-password"):
    return api.post("/api/v1/auth/token/", {"email": email, "password": password}, format="json")


def book(api: APIClient, key: str, start: str = START):
    return api.post(
        "/api/v1/bookings/",
        {"service": "swedish", "start": start},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def test_with_redis_down_every_page_and_endpoint_that_uses_the_cache_answers(
    redis_down, spa, customer, frozen_now, client, caplog
):
    anonymous = APIClient()

    # The API: anonymous availability and calendar (throttled, settings cached), sign-in.
    availability = anonymous.get("/api/v1/availability/", AVAILABILITY)
    assert availability.status_code == 200, availability.content
    assert len(availability.json()["slots"]) > 0
    calendar = anonymous.get("/api/v1/calendar/", {"month": "2026-12", "service": "swedish"})
    assert calendar.status_code == 200, calendar.content
    token = sign_in(anonymous, customer.email, password="pass-word-123")
    assert token.status_code == 200, token.content

    # The site: the anonymous booking page, a failed sign-in, a password reset request.
    assert client.get("/book/", {"service": "swedish"}).status_code == 200
    failed = client.post("/account/login/", {"email": customer.email, "password": "nope"})
    assert failed.status_code == 200
    assert "The email or password is not right." in failed.content.decode()
    reset = client.post("/account/password/reset/", {"email": customer.email})
    assert reset.status_code in (200, 302)

    # Only one warning for the whole outage.
    assert len(cache_warnings(caplog)) == 1
    assert "Cache unavailable (ConnectionError" in cache_warnings(caplog)[0]


def test_with_redis_down_bookings_are_made_and_cancelled_over_http(
    redis_down, spa, customer, frozen_now, client
):
    api = APIClient()
    api.force_authenticate(customer)

    # The API: create (booking-creation throttle), replay, cancel.
    created = book(api, "drill-redis-1")
    assert created.status_code == 201, created.content
    reference = created.json()["reference"]
    assert book(api, "drill-redis-1").status_code == 201  # replayed, not booked twice
    cancelled = api.post(f"/api/v1/bookings/{reference}/cancel/", {}, format="json")
    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.json()["status"] == "cancelled"

    # The site's confirm button (the same booking budget, counted by the site).
    client.force_login(customer)
    form = {
        "service": "swedish",
        "duration": "60",
        "guests": "1",
        "date": "2026-12-02",
        "start": "2026-12-02T13:00:00-05:00",
        "technician": "any",
        "idempotency_key": "drill-redis-site",
    }
    confirmed = client.post("/book/confirm/", form)
    assert confirmed.status_code == 302, confirmed.content
    assert confirmed["Location"].startswith("/book/done/CS-")

    assert list(Booking.objects.order_by("start").values_list("status", flat=True)) == [
        BookingStatus.CANCELLED,
        BookingStatus.CONFIRMED,
    ]
    assert Allocation.objects.filter(is_active=True).count() == 2  # technician + room


def test_with_redis_down_rate_limits_still_count_per_process(redis_down, spa, customer, client):
    # The API's sign-in limit: 10 a minute per address, counted in this process's memory.
    api = APIClient()
    statuses = [sign_in(api, customer.email).status_code for _ in range(11)]
    assert statuses == [401] * 10 + [429]

    # The site's sign-in failures: 10 per (address, email) in five minutes.
    for _ in range(10):
        client.post("/account/login/", {"email": customer.email, "password": "nope"})
    refused = client.post("/account/login/", {"email": customer.email, "password": "nope"})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0


@pytest.fixture
def redis_server(settings, monkeypatch) -> Iterator["RedisServer"]:
    """A real ``redis-server`` on a free loopback port, used as the cache; stopped after."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    monkeypatch.setattr(FailSoftRedisCache, "retry_seconds", 0.2)
    server = RedisServer(free_port())
    server.start()
    point_cache_at(settings, server.port)
    yield server
    server.kill()


class RedisServer:
    """A throwaway redis-server process (no persistence) that a test can kill and restart."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                self.client().ping()
                return
            except redis.exceptions.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.02)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()  # SIGKILL: no goodbye to the clients
            self.process.wait(timeout=10)

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, db=9, socket_timeout=1)

    def throttle_keys(self) -> list[bytes]:
        return list(self.client().scan_iter("*throttle_login_*"))


def test_a_redis_killed_mid_traffic_degrades_then_is_used_again_when_back(
    redis_server, spa, customer, frozen_now, caplog
):
    api = APIClient()
    # Given sign-ins counted in Redis
    assert sign_in(api, customer.email).status_code == 401
    assert redis_server.throttle_keys() != []

    # When Redis is killed, requests are still answered
    redis_server.kill()
    assert sign_in(api, customer.email).status_code == 401
    assert api.get("/api/v1/availability/", AVAILABILITY).status_code == 200
    [warning] = cache_warnings(caplog)
    assert warning.startswith("Cache unavailable (ConnectionError: ")

    # and once it is back (empty), the next call after the retry interval uses it again.
    redis_server.start()
    time.sleep(0.3)
    assert sign_in(api, customer.email).status_code == 401
    assert redis_server.throttle_keys() != []
    assert cache_warnings(caplog)[-1] == "Cache reachable again; rate limits are shared again."


@pytest.fixture
def silent_redis(settings) -> Iterator[int]:
    """A loopback socket that accepts connections and never answers (a hung Redis);
    the cache points at it. Yields the port."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)  # the kernel completes the handshakes; nobody ever reads
        port = listener.getsockname()[1]
        point_cache_at(settings, port)
        yield port


def test_a_hung_redis_costs_one_timeout_not_one_per_cache_call(
    silent_redis, spa, customer, frozen_now
):
    api = APIClient()
    started = time.monotonic()
    statuses = [api.get("/api/v1/availability/", AVAILABILITY).status_code for _ in range(10)]
    statuses.append(sign_in(api, customer.email, password="pass-word-123").status_code)
    elapsed = time.monotonic() - started

    assert statuses == [200] * 10 + [200]
    # One 0.5 s socket timeout, then Redis is not tried again for 5 s (at most one more
    # timeout on a slow machine); without that pause every cache call of every request
    # would wait 0.5 s (measured: 28 s for these 11 requests).
    assert elapsed < 8, f"{elapsed:.1f} s"
