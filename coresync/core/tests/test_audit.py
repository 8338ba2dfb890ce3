"""The audit log: every manager edit over the API leaves an entry naming who, what and
which fields; a refused edit leaves none; nobody edits the log in the admin."""

import pytest
from rest_framework.test import APIClient

from coresync.accounts.models import Role
from coresync.accounts.services import set_role
from coresync.catalog.models import Service
from coresync.core import audit
from coresync.core.models import AuditEntry
from coresync.resources.models import AvailabilityException, Technician

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_manager(manager):
    client = APIClient()
    client.force_authenticate(manager)
    return client


def test_a_service_edit_records_who_changed_which_fields(as_manager, manager, spa):
    # When the manager changes the Swedish massage's buffers, then deactivates it
    changed = as_manager.patch(
        "/api/v1/services/swedish/", {"buffer_after": 20, "name": "Swedish"}, format="json"
    )
    gone = as_manager.delete("/api/v1/services/swedish/")

    # Then the service's history says so, newest first, with the new values
    assert changed.status_code == 200, changed.content
    assert gone.status_code == 204
    service = Service.objects.get(slug="swedish")
    entries = list(audit.history(service))
    assert [entry.action for entry in entries] == ["service.deactivated", "service.changed"]
    assert all(entry.actor == manager for entry in entries)
    assert entries[1].data == {"fields": {"buffer_after": 20, "name": "Swedish"}}
    assert entries[1].subject_label == "Swedish"


def test_a_created_plan_is_recorded_with_its_prices_as_text(as_manager, spa):
    response = as_manager.post(
        "/api/v1/plans/",
        {
            "slug": "gold",
            "name": "Gold",
            "tier": "premium",
            "monthly_price": "249.50",
            "advance_days": 60,
            "discount_percent": "15",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    [entry] = AuditEntry.objects.filter(action="membershipplan.created")
    assert entry.data["fields"]["monthly_price"] == "249.50"
    assert entry.data["fields"]["slug"] == "gold"


def test_a_refused_edit_records_nothing(as_manager, spa):
    before = Service.objects.get(slug="swedish").buffer_after

    response = as_manager.patch("/api/v1/services/swedish/", {"buffer_after": -5}, format="json")

    assert response.status_code == 400
    assert Service.objects.get(slug="swedish").buffer_after == before
    assert AuditEntry.objects.count() == 0


def test_exceptions_added_and_removed_are_recorded(as_manager, manager, spa):
    created = as_manager.post(
        "/api/v1/technicians/ana/exceptions/",
        {"date": "2026-12-10", "kind": "day_off"},
        format="json",
    )
    assert created.status_code == 201, created.content
    exception = AvailabilityException.objects.get(pk=created.json()["id"])
    deleted = as_manager.delete(f"/api/v1/technicians/ana/exceptions/{exception.pk}/")

    assert deleted.status_code == 204
    actions = list(
        AuditEntry.objects.filter(subject_id=str(exception.pk))
        .order_by("pk")
        .values_list("action", "actor")
    )
    assert actions == [("exception.created", manager.pk), ("exception.deleted", manager.pk)]


def test_replacing_weekly_hours_is_recorded(as_manager, spa):
    response = as_manager.put(
        "/api/v1/technicians/ana/schedules/",
        [{"weekly_hours": {"mon": [["10:00", "18:00"]]}}],
        format="json",
    )

    assert response.status_code == 200, response.content
    [entry] = audit.history(Technician.objects.get(slug="ana"))
    assert entry.action == "technician.schedules_replaced"


def test_the_audit_log_is_read_only_in_the_admin(manager, client, spa):
    # Given a manager with admin access (the role's group gives every permission)
    manager = set_role(manager, Role.MANAGER)
    entry = audit.record(Service.objects.get(slug="swedish"), "service.changed", actor=manager)
    client.force_login(manager)

    listing = client.get("/admin/core/auditentry/")
    add = client.get("/admin/core/auditentry/add/")
    delete = client.post(f"/admin/core/auditentry/{entry.pk}/delete/", {"post": "yes"})

    assert listing.status_code == 200
    assert b"service.changed" in listing.content
    assert add.status_code == 403
    assert delete.status_code == 403
    assert AuditEntry.objects.count() == 1
