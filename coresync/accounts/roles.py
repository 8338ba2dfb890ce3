"""What each staff role may do in the admin (issue 18 item 1; SPEC §2 "permissions are by
role"): the Django permissions of the role's group.

- manager: every permission of every model;
- front desk: bookings (read, check in, complete, no-show, cancel through the actions),
  customers (find, add, edit their details), member holds on slots, and reading memberships,
  technicians, rooms, hours and closures;
- technician: none (technicians have no admin access; their day is in the API and the site).

The groups are created, and their permissions set, by the migration
``accounts.0002_staff_role_permissions``, after every ``migrate`` (``post_migrate``, so that
models added later reach the manager), and by :func:`coresync.accounts.services.set_role`.
"""

from collections.abc import Iterable

from coresync.accounts.models import STAFF_ROLES, Role

FRONT_DESK_PERMISSIONS: tuple[str, ...] = (
    "accounts.view_user",
    "accounts.add_user",
    "accounts.change_user",
    "bookings.view_booking",
    "bookings.change_booking",
    "bookings.view_bookingaddon",
    "scheduling.view_allocation",
    "bookings.view_bookinghistory",
    "memberships.view_membership",
    "memberships.view_membershipplan",
    "resources.view_technician",
    "resources.view_room",
    "resources.view_workinghours",
    "resources.view_availabilityexception",
    "resources.view_slothold",
    "resources.add_slothold",
    "resources.change_slothold",
    "resources.delete_slothold",
)
"""``app_label.codename`` of every permission the front desk has."""


def role_permission_names(role: str, all_names: Iterable[str]) -> set[str]:
    """Return the ``app_label.codename`` names ``role`` gets out of ``all_names`` (every
    permission that exists): all for a manager, :data:`FRONT_DESK_PERMISSIONS` for the front
    desk, none for a technician or a customer."""
    names = set(all_names)
    if role == Role.MANAGER:
        return names
    if role == Role.FRONT_DESK:
        return names & set(FRONT_DESK_PERMISSIONS)
    return set()


def sync_role_groups(group_model=None, permission_model=None) -> dict[str, object]:
    """Create the group of each staff role and set its permissions to exactly
    :func:`role_permission_names`; return ``{role: group}``.

    ``group_model``/``permission_model`` default to Django's; a migration passes its
    historical models. Idempotent: a second call changes nothing.
    """
    if group_model is None or permission_model is None:
        from django.contrib.auth.models import Group, Permission

        group_model, permission_model = Group, Permission
    permissions = {
        f"{app_label}.{codename}": pk
        for pk, app_label, codename in permission_model.objects.values_list(
            "pk", "content_type__app_label", "codename"
        )
    }
    groups: dict[str, object] = {}
    for role in STAFF_ROLES:
        group, _created = group_model.objects.get_or_create(name=str(role))
        wanted = role_permission_names(role, permissions)
        group.permissions.set([permissions[name] for name in sorted(wanted)])
        groups[str(role)] = group
    return groups
