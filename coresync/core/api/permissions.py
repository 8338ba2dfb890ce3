"""Role checks for API views (SPEC §2: permissions by role and by ownership)."""

from rest_framework.permissions import BasePermission

from coresync.accounts.models import Role, acts_for_every_customer


def is_manager(user) -> bool:
    """Managers (and superusers) see and manage everything."""
    return bool(user and user.is_authenticated and (user.is_superuser or user.role == Role.MANAGER))


def is_staff_member(user) -> bool:
    """Front desk and managers act for any customer (:func:`acts_for_every_customer`)."""
    return acts_for_every_customer(user)


class IsManager(BasePermission):
    message = "Only a manager can do that."

    def has_permission(self, request, view) -> bool:
        return is_manager(request.user)


class IsStaffRole(BasePermission):
    """Technicians, front desk and managers."""

    message = "Only staff can do that."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(
            user
            and user.is_authenticated
            and (user.is_superuser or user.role in (Role.TECHNICIAN, Role.FRONT_DESK, Role.MANAGER))
        )
