"""The resources admin: technicians and rooms with hours, exceptions and holds."""

from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest
from django.urls import reverse

from coresync.accounts.models import User
from coresync.resources.models import (
    AvailabilityException,
    ExceptionKind,
    HoldLevel,
    Room,
    SlotHold,
    Technician,
    WorkingHours,
)

pytestmark = pytest.mark.django_db

INLINE_MANAGEMENT = {"MIN_NUM_FORMS": "0", "MAX_NUM_FORMS": "1000"}


def management(prefix: str, total: int = 0, initial: int = 0) -> dict[str, str]:
    data = {f"{prefix}-TOTAL_FORMS": str(total), f"{prefix}-INITIAL_FORMS": str(initial)}
    data.update({f"{prefix}-{key}": value for key, value in INLINE_MANAGEMENT.items()})
    return data


@pytest.fixture
def manager(client):
    user = User.objects.create_superuser("manager@coresync.test", None, name="Mia Manager")
    client.force_login(user)
    return user


@pytest.fixture
def ana():
    return Technician.objects.create(
        slug="ana", name="Ana", skills=["swedish", "deep-tissue"], hourly_rate=Decimal("45")
    )


@pytest.fixture
def private_suite():
    return Room.objects.create(
        slug="private-1", name="Private 1", room_type="private", capacity=2, features=["steam"]
    )


@pytest.fixture
def resources(ana, private_suite):
    return {
        "technician": ana,
        "room": private_suite,
        "workinghours": WorkingHours.objects.create(
            technician=ana, weekday=0, start=time(9), end=time(17)
        ),
        "availabilityexception": AvailabilityException.objects.create(
            room=private_suite, kind=ExceptionKind.MAINTENANCE, date=date(2026, 3, 9)
        ),
        "slothold": SlotHold.objects.create(
            technician=ana,
            level=HoldLevel.VIP,
            starts_at=datetime(2026, 3, 14, 22, tzinfo=UTC),
            ends_at=datetime(2026, 3, 14, 23, tzinfo=UTC),
            held_until=datetime(2026, 3, 13, 22, tzinfo=UTC),
        ),
    }


@pytest.mark.parametrize(
    "model_name", ["technician", "room", "workinghours", "availabilityexception", "slothold"]
)
def test_changelist_add_and_change_pages_render(manager, client, resources, model_name):
    instance = resources[model_name]

    changelist = client.get(reverse(f"admin:resources_{model_name}_changelist"))
    add = client.get(reverse(f"admin:resources_{model_name}_add"))
    change = client.get(reverse(f"admin:resources_{model_name}_change", args=[instance.pk]))

    assert changelist.status_code == 200
    assert add.status_code == 200
    assert change.status_code == 200


@pytest.mark.parametrize(
    ("model_name", "query"),
    [
        ("workinghours", {"weekday__exact": "0"}),
        ("availabilityexception", {"kind__exact": "maintenance"}),
        ("availabilityexception", {"date__year": "2026", "date__month": "3"}),
        ("slothold", {"level__exact": "vip"}),
        ("slothold", {"starts_at__year": "2026"}),
    ],
)
def test_changelists_filter(manager, client, resources, model_name, query):
    response = client.get(reverse(f"admin:resources_{model_name}_changelist"), query)

    assert list(response.context["cl"].result_list) == [resources[model_name]]


def test_technician_changelist_filters_and_shows_skills(manager, client, resources):
    response = client.get(
        reverse("admin:resources_technician_changelist"), {"q": "ana", "is_active__exact": "1"}
    )

    assert list(response.context["cl"].result_list) == [resources["technician"]]
    assert "swedish, deep-tissue" in response.content.decode()


def test_add_technician_with_skills_hours_and_a_day_off(manager, client):
    data = {
        "name": "Ben",
        "slug": "ben",
        "user": "",
        "skills": "swedish, hot-stones",
        "hourly_rate": "50.00",
        "bio": "",
        "is_active": "on",
        **management("working_hours", total=2),
        "working_hours-0-weekday": "0",
        "working_hours-0-start": "09:00",
        "working_hours-0-end": "13:00",
        "working_hours-1-weekday": "0",
        "working_hours-1-start": "14:00",
        "working_hours-1-end": "18:00",
        **management("exceptions", total=1),
        "exceptions-0-kind": "day_off",
        "exceptions-0-date": "2026-03-16",
        **management("holds"),
    }

    response = client.post(reverse("admin:resources_technician_add"), data)

    assert response.status_code == 302
    ben = Technician.objects.get(slug="ben")
    assert ben.skills == ["swedish", "hot-stones"]
    assert [(h.start, h.end) for h in ben.working_hours.all()] == [
        (time(9), time(13)),
        (time(14), time(18)),
    ]
    assert [(e.kind, e.date) for e in ben.exceptions.all()] == [("day_off", date(2026, 3, 16))]


def test_technician_skills_must_be_slugs(manager, client):
    data = {
        "name": "Ben",
        "slug": "ben",
        "skills": "swedish, hot stones!",
        "hourly_rate": "50.00",
        "is_active": "on",
        **management("working_hours"),
        **management("exceptions"),
        **management("holds"),
    }

    response = client.post(reverse("admin:resources_technician_add"), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["skills"]
    assert not Technician.objects.exists()


def test_room_maintenance_inline_defaults_to_maintenance(manager, client, private_suite):
    response = client.get(reverse("admin:resources_room_change", args=[private_suite.pk]))

    assert response.status_code == 200
    empty_form = response.context["inline_admin_formsets"][1].formset.empty_form
    assert empty_form["kind"].initial == ExceptionKind.MAINTENANCE


def test_add_room_with_opening_hours(manager, client):
    data = {
        "name": "Shared 1",
        "slug": "shared-1",
        "room_type": "shared",
        "capacity": "6",
        "features": "steam, sauna",
        "premium_modifier_percent": "0",
        "is_active": "on",
        **management("opening_hours", total=1),
        "opening_hours-0-weekday": "5",
        "opening_hours-0-start": "08:00",
        "opening_hours-0-end": "22:00",
        **management("maintenance"),
        **management("holds"),
    }

    response = client.post(reverse("admin:resources_room_add"), data)

    assert response.status_code == 302
    room = Room.objects.get(slug="shared-1")
    assert room.features == ["steam", "sauna"]
    assert [(h.weekday, h.start, h.end) for h in room.opening_hours.all()] == [
        (5, time(8), time(22))
    ]


@pytest.mark.parametrize("owner", ["both", "neither"])
def test_working_hours_need_exactly_one_owner(manager, client, ana, private_suite, owner):
    data = {"weekday": "1", "start": "09:00", "end": "17:00"}
    if owner == "both":
        data.update({"technician": str(ana.pk), "room": str(private_suite.pk)})

    response = client.post(reverse("admin:resources_workinghours_add"), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors()
    assert not WorkingHours.objects.exists()


def test_whole_spa_hold_needs_no_owner(manager, client):
    response = client.post(
        reverse("admin:resources_slothold_add"),
        {
            "level": "priority",
            "starts_at_0": "2026-03-20",
            "starts_at_1": "18:00",
            "ends_at_0": "2026-03-20",
            "ends_at_1": "20:00",
            "held_until_0": "2026-03-19",
            "held_until_1": "18:00",
        },
    )

    assert response.status_code == 302
    hold = SlotHold.objects.get()
    assert hold.resource is None
    # 18:00 in New York on 20 March 2026 (EDT) is 22:00 UTC.
    assert hold.starts_at == datetime(2026, 3, 20, 22, tzinfo=UTC)


def test_hold_changelist_queries_do_not_grow_with_rows(
    manager, client, ana, private_suite, django_assert_max_num_queries
):
    for day in range(1, 21):
        SlotHold.objects.create(
            technician=ana if day % 2 else None,
            room=None if day % 2 else private_suite,
            level=HoldLevel.PRIORITY,
            starts_at=datetime(2026, 4, day, 22, tzinfo=UTC),
            ends_at=datetime(2026, 4, day, 23, tzinfo=UTC),
            held_until=datetime(2026, 4, day, 12, tzinfo=UTC),
        )

    with django_assert_max_num_queries(12):
        response = client.get(reverse("admin:resources_slothold_changelist"))

    assert response.status_code == 200
