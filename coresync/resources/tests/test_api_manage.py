"""Managers create, change and deactivate rooms and technicians over the API, set a room's
hours and maintenance and a technician's schedules and exceptions; availability follows at
once. Nobody else can, and a refused write changes nothing (docs/api-manage.md)."""

from datetime import date, time
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from conftest import make_customer
from coresync.accounts.services import set_role
from coresync.resources.models import AvailabilityException, Room, Technician, WorkingHours

pytestmark = pytest.mark.django_db

NEW_ROOM = {
    "slug": "suite-b",
    "name": "Men's Suite B",
    "type": "mensuite",
    "capacity": 1,
    "features": ["smart_mirror", "steam"],
    "premium_modifier_percent": "12.50",
    "hours": {"sat": [["10:00", "22:00"]], "mon": [["14:00", "18:00"], ["09:00", "13:00"]]},
}


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def as_manager(manager):
    return client_for(manager)


def staff(role: str, email: str | None = None):
    user = make_customer(email or f"{role}@example.com")
    return set_role(user, role) if role != "customer" else user


def resource_rows():
    """Everything a room or technician write may touch."""
    return (
        list(Room.objects.order_by("pk").values()),
        list(Technician.objects.order_by("pk").values()),
        list(WorkingHours.objects.order_by("pk").values()),
        list(AvailabilityException.objects.order_by("pk").values()),
    )


def slots(technician: str = "ana", day: str = "2026-12-02") -> list[str]:
    """The start times (local HH:MM) the public is offered for a Swedish massage."""
    response = client_for().get(
        "/api/v1/availability/",
        {"service": "swedish", "date_from": day, "date_to": day, "technician": technician},
    )
    assert response.status_code == 200, response.content
    return [slot["start"][11:16] for slot in response.json()["slots"]]


# -- rooms ---------------------------------------------------------------------------------


def test_manager_creates_a_room_with_hours(as_manager, spa):
    response = as_manager.post("/api/v1/rooms/", NEW_ROOM, format="json")

    assert response.status_code == 201, response.content
    assert response.json() == {
        "slug": "suite-b",
        "name": "Men's Suite B",
        "type": "mensuite",
        "capacity": 1,
        "features": ["smart_mirror", "steam"],
        "premium_modifier_percent": "12.50",
        "is_active": True,
        "hours": {"mon": [["09:00", "13:00"], ["14:00", "18:00"]], "sat": [["10:00", "22:00"]]},
    }
    public = [
        room for room in client_for().get("/api/v1/rooms/").json() if room["slug"] == "suite-b"
    ]
    assert public == [
        {
            "slug": "suite-b",
            "name": "Men's Suite B",
            "type": "mensuite",
            "capacity": 1,
            "features": ["smart_mirror", "steam"],
            "premium_modifier_percent": "12.50",
        }
    ]


def test_patch_replaces_room_hours_and_keeps_other_fields(as_manager, spa):
    response = as_manager.patch(
        "/api/v1/rooms/suite-a/",
        {"hours": {"fri": [["09:00", "22:00"]]}, "capacity": 2},
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["hours"] == {"fri": [["09:00", "22:00"]]}
    assert (body["capacity"], body["name"], body["type"]) == (2, "Suite A", "mensuite")
    assert list(spa.suite.opening_hours.values_list("weekday", "start", "end")) == [
        (4, time(9), time(22))
    ]


def test_delete_deactivates_a_room(as_manager, spa):
    response = as_manager.delete("/api/v1/rooms/suite-a/")

    assert response.status_code == 204
    assert Room.objects.get(pk=spa.suite.pk).is_active is False
    assert spa.suite.opening_hours.count() == 7
    assert "suite-a" not in [room["slug"] for room in client_for().get("/api/v1/rooms/").json()]
    listed = as_manager.get("/api/v1/rooms/", {"include_inactive": "true"}).json()
    assert [(room["slug"], room["is_active"]) for room in listed] == [
        ("couples-suite", True),
        ("steam", True),
        ("suite-a", False),
    ]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"slug": "suite-a"}, "slug", '"suite-a" is already used by another room'),
        ({"type": "sauna"}, "type", 'unknown room type "sauna"'),
        ({"capacity": 0}, "capacity", "must be between 1 and 100; got 0"),
        ({"premium_modifier_percent": "-101"}, "premium_modifier_percent", "between -100"),
        ({"features": ["steam", "steam"]}, "features", '[1]: "steam" is listed twice'),
        (
            {"hours": {"mon": [["09:00", "13:00"], ["12:00", "18:00"]]}},
            "hours",
            'mon: windows overlap ("12:00" is before "13:00")',
        ),
        ({"hours": {"mon": [["9:00", "13:00"]]}}, "hours", 'mon[0][0]: expected a time "HH:MM"'),
        (
            {"hours": {"mon": [["13:00", "09:00"]]}},
            "hours",
            'mon[0]: end "09:00" is not after start "13:00"',
        ),
        ({"hours": {"monday": [["09:00", "13:00"]]}}, "hours", 'unknown weekday "monday"'),
        ({"hours": {"mon": ["09:00", "13:00"]}}, "hours", 'mon[0]: expected a window ["HH:MM"'),
        ({"hours": [["09:00", "13:00"]]}, "hours", "expected a mapping of weekdays"),
        ({"capacity": None}, "capacity", "This field may not be null."),
    ],
)
def test_bad_room_input_is_400_naming_the_field(as_manager, spa, change, field, message):
    before = resource_rows()

    response = as_manager.post("/api/v1/rooms/", {**NEW_ROOM, **change}, format="json")

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == [field]
    assert message in error["fields"][field]
    assert resource_rows() == before


def test_a_refused_room_update_keeps_its_hours(as_manager, spa):
    before = resource_rows()

    response = as_manager.patch(
        "/api/v1/rooms/suite-a/",
        {"name": "Renamed", "hours": {"tue": [["10:00", "10:00"]]}},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["hours"]
    assert resource_rows() == before


# -- room maintenance ----------------------------------------------------------------------


def test_manager_manages_room_maintenance(as_manager, spa):
    url = "/api/v1/rooms/suite-a/maintenance/"

    created = as_manager.post(
        url,
        {"date": "2026-12-03", "start": "09:00", "end": "11:00", "note": "Pipes"},
        format="json",
    )
    assert created.status_code == 201, created.content
    maintenance_id = created.json()["id"]
    assert created.json() == {
        "id": maintenance_id,
        "date": "2026-12-03",
        "end_date": None,
        "start": "09:00",
        "end": "11:00",
        "note": "Pipes",
    }
    row = AvailabilityException.objects.get(pk=maintenance_id)
    assert (row.room, row.technician, row.kind) == (spa.suite, None, "maintenance")

    days = as_manager.patch(
        f"{url}{maintenance_id}/",
        {"start": None, "end": None, "end_date": "2026-12-04"},
        format="json",
    )
    assert days.status_code == 200, days.content
    assert (days.json()["start"], days.json()["end_date"]) == (None, "2026-12-04")
    assert [item["id"] for item in as_manager.get(url).json()] == [maintenance_id]

    assert as_manager.delete(f"{url}{maintenance_id}/").status_code == 204
    assert as_manager.get(url).json() == []
    assert not AvailabilityException.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"date": "2026-12-03", "start": "09:00"}, "end"),
        ({"date": "2026-12-03", "start": "11:00", "end": "09:00"}, "end"),
        ({"date": "2026-12-03", "end_date": "2026-12-01"}, "end_date"),
        (
            {"date": "2026-12-03", "end_date": "2026-12-04", "start": "09:00", "end": "10:00"},
            "end_date",
        ),
        ({"date": "2026-12-03", "kind": "holiday"}, "kind"),
        ({"date": "03/12/2026"}, "date"),
        ({"start": "09:00", "end": "10:00"}, "date"),
    ],
)
def test_bad_maintenance_is_400_naming_the_field(as_manager, spa, payload, field):
    response = as_manager.post("/api/v1/rooms/suite-a/maintenance/", payload, format="json")

    assert response.status_code == 400, response.content
    assert list(response.json()["error"]["fields"]) == [field]
    assert not AvailabilityException.objects.exists()


def test_room_maintenance_closes_availability(as_manager, spa, frozen_now):
    assert slots()[0] == "09:00"

    for room in ("suite-a", "couples-suite"):
        response = as_manager.post(
            f"/api/v1/rooms/{room}/maintenance/",
            {"date": "2026-12-02", "start": "09:00", "end": "12:00"},
            format="json",
        )
        assert response.status_code == 201

    assert slots()[0] == "12:00"


# -- technicians ---------------------------------------------------------------------------


def test_manager_creates_a_technician_linked_to_a_staff_login(as_manager, spa):
    staff("technician", "cara@example.com")

    response = as_manager.post(
        "/api/v1/technicians/",
        {
            "slug": "cara",
            "name": "Cara Diaz",
            "skills": ["massage", "facial"],
            "hourly_rate": "41.50",
            "bio": "Ten years of deep tissue.",
            "user": "Cara@Example.com",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json() == {
        "slug": "cara",
        "name": "Cara Diaz",
        "skills": ["massage", "facial"],
        "bio": "Ten years of deep tissue.",
        "hourly_rate": "41.50",
        "is_active": True,
        "user": "cara@example.com",
    }
    public = client_for().get("/api/v1/technicians/").json()
    assert public[-1] == {
        "slug": "cara",
        "name": "Cara Diaz",
        "skills": ["massage", "facial"],
        "bio": "Ten years of deep tissue.",
    }
    assert Technician.objects.get(slug="cara").user.email == "cara@example.com"


def test_manager_sees_rates_the_public_does_not(as_manager, spa):
    Technician.objects.filter(pk=spa.ana.pk).update(hourly_rate=Decimal("40.00"))

    public = client_for().get("/api/v1/technicians/", {"skill": "massage"}).json()
    managed = as_manager.get("/api/v1/technicians/", {"skill": "massage"}).json()

    assert [sorted(row) for row in public] == [["bio", "name", "skills", "slug"]] * 2
    assert [(row["slug"], row["hourly_rate"], row["user"]) for row in managed] == [
        ("ana", "40.00", None),
        ("ben", "0.00", None),
    ]


def test_patch_unlinks_login_and_delete_deactivates(as_manager, spa):
    login = staff("technician", "ana@example.com")
    spa.ana.user = login
    spa.ana.save()

    unlinked = as_manager.patch("/api/v1/technicians/ana/", {"user": None}, format="json")
    deleted = as_manager.delete("/api/v1/technicians/ana/")

    assert unlinked.status_code == 200 and unlinked.json()["user"] is None
    assert deleted.status_code == 204
    ana = Technician.objects.get(pk=spa.ana.pk)
    assert (ana.user, ana.is_active) == (None, False)
    assert [row["slug"] for row in client_for().get("/api/v1/technicians/").json()] == ["ben"]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"slug": "ben"}, "slug", '"ben" is already used by another technician'),
        ({"skills": ["deep tissue"]}, "skills", "[0]: expected a slug"),
        ({"hourly_rate": "-1.00"}, "hourly_rate", "must be 0 or more"),
        ({"user": "nobody@example.com"}, "user", "no account with the email"),
        ({"user": "guest@example.com"}, "user", "guest@example.com is not a staff login"),
        ({"user": "ben@example.com"}, "user", "already the login of technician ben"),
        ({"name": ""}, "name", "This field may not be blank."),
    ],
)
def test_bad_technician_input_is_400_naming_the_field(
    as_manager, spa, customer, change, field, message
):
    spa.ben.user = staff("technician", "ben@example.com")
    spa.ben.save()
    before = resource_rows()
    payload = {"slug": "cara", "name": "Cara", "skills": ["massage"], **change}

    response = as_manager.post("/api/v1/technicians/", payload, format="json")

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert list(error["fields"]) == [field]
    assert message in error["fields"][field]
    assert resource_rows() == before


# -- schedules -----------------------------------------------------------------------------


def test_manager_reads_and_replaces_schedules(as_manager, spa):
    url = "/api/v1/technicians/ana/schedules/"
    every_day = {
        day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    }
    assert as_manager.get(url).json() == [
        {"valid_from": None, "valid_until": None, "weekly_hours": every_day}
    ]
    schedules = [
        {
            "valid_from": "2027-01-01",
            "valid_until": None,
            "weekly_hours": {"tue": [["10:00", "19:00"]]},
        },
        {
            "valid_until": "2026-12-31",
            "weekly_hours": {"mon": [["14:00", "18:00"], ["09:00", "13:00"]]},
        },
    ]

    response = as_manager.put(url, schedules, format="json")

    assert response.status_code == 200, response.content
    expected = [
        {
            "valid_from": None,
            "valid_until": "2026-12-31",
            "weekly_hours": {"mon": [["09:00", "13:00"], ["14:00", "18:00"]]},
        },
        {
            "valid_from": "2027-01-01",
            "valid_until": None,
            "weekly_hours": {"tue": [["10:00", "19:00"]]},
        },
    ]
    assert response.json() == expected
    assert as_manager.get(url).json() == expected
    assert spa.ana.working_hours.count() == 3
    assert spa.ben.working_hours.count() == 7


def test_an_empty_list_removes_every_schedule(as_manager, spa, frozen_now):
    response = as_manager.put("/api/v1/technicians/ana/schedules/", [], format="json")

    assert (response.status_code, response.json()) == (200, [])
    assert spa.ana.working_hours.count() == 0
    assert slots() == []


@pytest.mark.parametrize(
    ("schedules", "field", "message"),
    [
        (
            [
                {
                    "valid_from": "2026-12-10",
                    "valid_until": "2026-12-01",
                    "weekly_hours": {"mon": [["09:00", "17:00"]]},
                }
            ],
            "schedules[0].valid_until",
            "2026-12-01 is before valid_from 2026-12-10",
        ),
        (
            [{"weekly_hours": {"wed": [["12:00", "20:00"], ["19:00", "21:00"]]}}],
            "schedules[0].weekly_hours",
            "wed: windows overlap",
        ),
        ([{"weekly_hours": {}}], "schedules[0].weekly_hours", "give at least one window"),
        ([{"valid_from": "2027-01-01"}], "schedules[0].weekly_hours", "This field is required."),
        (
            [
                {"valid_until": "2027-01-31", "weekly_hours": {"mon": [["09:00", "17:00"]]}},
                {"valid_from": "2027-01-31", "weekly_hours": {"tue": [["09:00", "17:00"]]}},
            ],
            "schedules[1].valid_from",
            "overlaps schedules[0]",
        ),
        ({"weekly_hours": {}}, "schedules", "Expected a list."),
    ],
)
def test_bad_schedules_are_400_and_keep_the_old_hours(as_manager, spa, schedules, field, message):
    before = resource_rows()

    response = as_manager.put("/api/v1/technicians/ana/schedules/", schedules, format="json")

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert list(error["fields"]) == [field]
    assert message in error["fields"][field]
    assert resource_rows() == before


def test_changed_hours_show_in_availability_at_once(as_manager, spa, frozen_now):
    assert len(slots()) == 28  # 09:00 … 15:45

    response = as_manager.put(
        "/api/v1/technicians/ana/schedules/",
        [{"valid_from": "2026-12-02", "weekly_hours": {"wed": [["12:00", "14:00"]]}}],
        format="json",
    )

    assert response.status_code == 200
    # 60 minutes + 15 buffer inside 12:00-14:00; Thursday has no hours now.
    assert slots() == ["12:00", "12:15", "12:30", "12:45"]
    assert slots(day="2026-12-03") == []
    assert len(slots("ben")) == 28


# -- exceptions ----------------------------------------------------------------------------


def test_manager_manages_exceptions_and_availability_follows(as_manager, spa, frozen_now):
    url = "/api/v1/technicians/ana/exceptions/"

    created = as_manager.post(
        url,
        {"date": "2026-12-02", "kind": "day_off", "start": "09:00", "end": "15:00"},
        format="json",
    )

    assert created.status_code == 201, created.content
    exception_id = created.json()["id"]
    assert created.json() == {
        "id": exception_id,
        "date": "2026-12-02",
        "end_date": None,
        "kind": "day_off",
        "start": "09:00",
        "end": "15:00",
        "note": "",
    }
    assert slots() == ["15:00", "15:15", "15:30", "15:45"]

    vacation = as_manager.put(
        f"{url}{exception_id}/",
        {"date": "2026-12-02", "end_date": "2026-12-03", "kind": "vacation", "note": "Lisbon"},
        format="json",
    )
    assert vacation.status_code == 400  # still part-day: start/end kept from before
    assert list(vacation.json()["error"]["fields"]) == ["end_date"]
    vacation = as_manager.put(
        f"{url}{exception_id}/",
        {
            "date": "2026-12-02",
            "end_date": "2026-12-03",
            "kind": "vacation",
            "start": None,
            "end": None,
            "note": "Lisbon",
        },
        format="json",
    )
    assert vacation.status_code == 200, vacation.content
    assert slots() == [] and slots(day="2026-12-03") == []
    assert [row["kind"] for row in as_manager.get(url).json()] == ["vacation"]
    assert as_manager.get(f"{url}{exception_id}/").json()["note"] == "Lisbon"

    assert as_manager.delete(f"{url}{exception_id}/").status_code == 204
    assert len(slots()) == 28


def test_end_date_equal_to_date_is_stored_as_one_day(as_manager, spa):
    response = as_manager.post(
        "/api/v1/technicians/ana/exceptions/",
        {"date": "2026-12-24", "end_date": "2026-12-24", "kind": "holiday"},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["end_date"] is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"date": "2026-12-02", "kind": "maintenance"}, "kind"),
        ({"date": "2026-12-02", "kind": "nap"}, "kind"),
        ({"date": "2026-12-02"}, "kind"),
        ({"date": "2026-12-02", "kind": "day_off", "end": "12:00"}, "start"),
        ({"date": "2026-12-02", "kind": "day_off", "start": "12:00", "end": "25:00"}, "end"),
        ({"date": "2026-12-02", "kind": "day_off", "id": 5, "colour": "red"}, "colour"),
    ],
)
def test_bad_exceptions_are_400_naming_the_field(as_manager, spa, payload, field):
    response = as_manager.post("/api/v1/technicians/ana/exceptions/", payload, format="json")

    assert response.status_code == 400, response.content
    assert list(response.json()["error"]["fields"]) == [field]
    assert not AvailabilityException.objects.exists()


def test_another_technicians_exception_is_404(as_manager, spa):
    exception = AvailabilityException.objects.create(
        technician=spa.ben, kind="holiday", date=date(2026, 12, 24)
    )

    response = as_manager.delete(f"/api/v1/technicians/ana/exceptions/{exception.pk}/")
    unknown = as_manager.get("/api/v1/technicians/nobody/exceptions/")

    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")
    assert unknown.status_code == 404
    assert AvailabilityException.objects.filter(pk=exception.pk).exists()


# -- who may ---------------------------------------------------------------------------------


def _write_attempts(api: APIClient, exception_id: int) -> list:
    exception_url = f"/api/v1/technicians/ana/exceptions/{exception_id}/"
    return [
        api.post("/api/v1/rooms/", NEW_ROOM, format="json"),
        api.patch("/api/v1/rooms/suite-a/", {"capacity": 3}, format="json"),
        api.delete("/api/v1/rooms/suite-a/"),
        api.post("/api/v1/rooms/suite-a/maintenance/", {"date": "2026-12-03"}, format="json"),
        api.get("/api/v1/rooms/suite-a/maintenance/"),
        api.post("/api/v1/technicians/", {"slug": "cara", "name": "Cara"}, format="json"),
        api.patch("/api/v1/technicians/ana/", {"hourly_rate": "99.00"}, format="json"),
        api.delete("/api/v1/technicians/ana/"),
        api.get("/api/v1/technicians/ana/schedules/"),
        api.put("/api/v1/technicians/ana/schedules/", [], format="json"),
        api.get("/api/v1/technicians/ana/exceptions/"),
        api.post(
            "/api/v1/technicians/ana/exceptions/",
            {"date": "2026-12-02", "kind": "day_off"},
            format="json",
        ),
        api.patch(exception_url, {"note": "changed"}, format="json"),
        api.delete(exception_url),
    ]


@pytest.mark.parametrize("role", ["customer", "technician", "front_desk"])
def test_other_roles_get_403_and_change_nothing(spa, role):
    exception = AvailabilityException.objects.create(
        technician=spa.ana, kind="holiday", date=date(2026, 12, 24)
    )
    api = client_for(staff(role))
    before = resource_rows()

    responses = _write_attempts(api, exception.pk)

    assert {(r.status_code, r.json()["error"]["code"]) for r in responses} == {(403, "forbidden")}
    assert resource_rows() == before


def test_anonymous_gets_401_and_changes_nothing(spa):
    exception = AvailabilityException.objects.create(
        technician=spa.ana, kind="holiday", date=date(2026, 12, 24)
    )
    before = resource_rows()

    responses = _write_attempts(client_for(), exception.pk)

    assert {(r.status_code, r.json()["error"]["code"]) for r in responses} == {
        (401, "unauthenticated")
    }
    assert resource_rows() == before
