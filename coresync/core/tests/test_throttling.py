"""Rate limits of the HTTP API (ARCHITECTURE.md "HTTP API": 429 ``rate_limited``).

- sign-in (token, refresh, register, password reset): 10 a minute per IP;
- booking creation: 30 an hour per user (listing, reading, cancelling are not counted);
- anonymous availability and calendar: 120 a minute per IP (signed-in callers are not).

The tests run at the configured rates; the root conftest clears the cache around each test.
"""

import uuid
from datetime import timedelta

import pytest
import redis
import time_machine
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.test import APIClient

from conftest import make_customer
from coresync.bookings.models import Booking

pytestmark = pytest.mark.django_db

CONTRACT_RATES = {"login": "10/min", "booking_create": "30/hour", "anon_availability": "120/min"}
REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def api():
    return APIClient()


def sign_in(api: APIClient, email: str, password: str = "wrong-password", ip: str = "127.0.0.1"):
    return api.post(
        "/api/v1/auth/token/", {"email": email, "password": password}, format="json", REMOTE_ADDR=ip
    )


def assert_rate_limited(response, retry_after: int) -> None:
    assert response.status_code == 429, response.content
    error = response.json()["error"]
    assert error["code"] == "rate_limited"
    assert error["message"] == f"Too many requests. Try again in {retry_after + 1} seconds."
    assert response["Retry-After"] == str(retry_after)


def book(api: APIClient, start: str = "2026-12-02T10:00:00-05:00"):
    # Each for another guest, so the one-customer-at-a-time rule (409 customer_busy) leaves
    # the second booking of the slot to the rooms and technicians.
    return api.post(
        "/api/v1/bookings/",
        {"service": "swedish", "start": start, "guest_name": f"Guest {uuid.uuid4().hex[:6]}"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )


def test_configured_rates_are_the_contract():
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert {name: rates[name] for name in CONTRACT_RATES} == CONTRACT_RATES


def test_eleventh_sign_in_attempt_in_a_minute_is_429_with_retry_after(api, customer, frozen_now):
    # Given ten attempts from one IP (wrong passwords and a right one count alike)
    attempts = [sign_in(api, customer.email) for _ in range(9)]
    attempts.append(sign_in(api, customer.email, password="pass-word-123"))
    assert [response.status_code for response in attempts] == [401] * 9 + [200]

    # When the eleventh arrives within the minute, even with the right password
    eleventh = sign_in(api, customer.email, password="pass-word-123")

    # Then it is refused with the error body and a Retry-After header
    assert_rate_limited(eleventh, retry_after=60)
    # and the refresh and register endpoints share the per-IP budget
    refresh = api.post("/api/v1/auth/token/refresh/", {"refresh": "x"}, format="json")
    assert refresh.status_code == 429
    register = api.post(
        "/api/v1/auth/register/",
        {"email": "n@example.com", "password": "p", "name": "N"},
        format="json",
    )
    assert register.status_code == 429


def test_sign_in_limit_is_per_ip_and_frees_after_a_minute(api, customer, frozen_now):
    for _ in range(10):
        sign_in(api, customer.email, ip="198.51.100.1")
    assert sign_in(api, customer.email, ip="198.51.100.1").status_code == 429

    other_ip = sign_in(api, customer.email, password="pass-word-123", ip="198.51.100.2")
    assert other_ip.status_code == 200

    with time_machine.travel(frozen_now + timedelta(seconds=61), tick=False):
        later = sign_in(api, customer.email, password="pass-word-123", ip="198.51.100.1")
    assert later.status_code == 200


def test_thirty_first_booking_attempt_in_an_hour_is_429(api, spa, customer, frozen_now):
    # Given a customer who has listed bookings many times (reads are not counted)
    api.force_authenticate(customer)
    for _ in range(40):
        assert api.get("/api/v1/bookings/").status_code == 200

    # When they try to book 30 times (two succeed, then the slot is taken: attempts count)
    attempts = [book(api) for _ in range(30)]
    assert [response.status_code for response in attempts] == [201, 201] + [409] * 28

    # Then the 31st create is refused; nothing was booked; listing still works
    thirty_first = book(api, start="2026-12-02T12:00:00-05:00")
    assert_rate_limited(thirty_first, retry_after=3600)
    assert Booking.objects.filter(customer=customer).count() == 2
    assert api.get("/api/v1/bookings/").status_code == 200
    reference = attempts[0].json()["reference"]
    assert api.get(f"/api/v1/bookings/{reference}/").status_code == 200
    assert api.post(f"/api/v1/bookings/{reference}/cancel/", {}, format="json").status_code == 200


def test_booking_limit_is_per_user(api, spa, customer, frozen_now):
    api.force_authenticate(customer)
    for _ in range(30):
        book(api)
    assert book(api).status_code == 429

    other = APIClient()
    other.force_authenticate(make_customer("other@example.com"))
    response = book(other, start="2026-12-02T12:00:00-05:00")

    assert response.status_code == 201, response.content


def test_booking_limit_frees_after_an_hour(api, spa, customer, frozen_now):
    api.force_authenticate(customer)
    for _ in range(30):
        book(api)
    assert book(api).status_code == 429

    with time_machine.travel(frozen_now + timedelta(hours=1, seconds=1), tick=False):
        response = book(api, start="2026-12-02T12:00:00-05:00")

    assert response.status_code == 201, response.content


AVAILABILITY = {"service": "swedish", "date_from": "2026-12-02", "date_to": "2026-12-02"}


def test_121st_anonymous_availability_request_in_a_minute_is_429(api, spa, frozen_now):
    # Given 120 anonymous requests from one IP: availability and calendar share the budget
    statuses = [api.get("/api/v1/availability/", AVAILABILITY).status_code for _ in range(119)]
    statuses.append(
        api.get("/api/v1/calendar/", {"month": "2026-12", "service": "swedish"}).status_code
    )
    assert statuses == [200] * 120

    # When the 121st arrives within the minute
    response = api.get("/api/v1/availability/", AVAILABILITY)

    # Then it is refused
    assert_rate_limited(response, retry_after=60)


def test_availability_limit_spares_other_ips_and_signed_in_callers(
    api, spa, base_member, frozen_now
):
    for _ in range(120):  # every request counts, whatever its answer (here 400)
        api.get("/api/v1/availability/", REMOTE_ADDR="198.51.100.1")
    assert (
        api.get("/api/v1/availability/", AVAILABILITY, REMOTE_ADDR="198.51.100.1").status_code
        == 429
    )

    other_ip = api.get("/api/v1/availability/", AVAILABILITY, REMOTE_ADDR="198.51.100.2")
    assert other_ip.status_code == 200

    api.force_authenticate(base_member)
    member = api.get("/api/v1/availability/", AVAILABILITY, REMOTE_ADDR="198.51.100.1")
    assert member.status_code == 200


@pytest.fixture
def redis_cache(settings):
    """Point the default cache at a Redis database, as CACHE_URL=redis://… does in production."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    prefix = f"throttle-test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


def test_sign_in_limit_is_shared_through_redis(api, customer, frozen_now, redis_cache):
    # Given ten attempts handled by this process
    for _ in range(10):
        sign_in(api, customer.email, ip="198.51.100.9")

    # Then another worker, with its own connection to the same Redis, sees all ten
    other_worker = RedisCache(REDIS_URL, {"KEY_PREFIX": redis_cache})
    history = other_worker.get("throttle_login_198.51.100.9")
    assert history is not None and len(history) == 10
    assert caches["default"].__class__ is RedisCache
    # and the eleventh attempt is refused
    assert sign_in(api, customer.email, ip="198.51.100.9").status_code == 429
