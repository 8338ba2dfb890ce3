"""Account changes: registration and roles (SPEC §2)."""

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from coresync.accounts.models import STAFF_ROLES, Role, User
from coresync.core.errors import InvalidInput


def register_customer(*, email: str, password: str, name: str) -> User:
    """Create a customer account.

    Args:
        email: login; stored lower-case; must be unused.
        password: checked by Django's password validators (length, common, numeric…).
        name: the customer's name (1-150 characters).

    Raises:
        InvalidInput: naming each bad field (email taken or malformed, weak password, name).
    """
    email = (email or "").strip().lower()
    name = (name or "").strip()
    fields: dict[str, str] = {}
    try:
        validate_email(email)
    except ValidationError:
        fields["email"] = "Enter a valid email address."
    if not name or len(name) > 150:
        fields["name"] = "Enter your name (up to 150 characters)."
    try:
        validate_password(password or "", user=User(email=email, name=name))
    except ValidationError as error:
        fields["password"] = " ".join(error.messages)
    if "email" not in fields and User.objects.filter(email__iexact=email).exists():
        fields["email"] = "An account with this email already exists."
    if fields:
        raise InvalidInput("; ".join(fields.values()), fields=fields)
    try:
        with transaction.atomic():
            return User.objects.create_user(email=email, password=password, name=name)
    except IntegrityError as error:
        raise InvalidInput(
            "An account with this email already exists.",
            fields={"email": "An account with this email already exists."},
        ) from error


def set_role(user: User, role: str) -> User:
    """Give ``user`` a role: sets ``role``, the Django group of the same name (groups are
    created on demand), and admin access (``is_staff``) for front desk and managers."""
    if role not in Role.values:
        raise InvalidInput(f'Unknown role "{role}".', fields={"role": "Unknown role."})
    with transaction.atomic():
        user.role = role
        user.is_staff = role in (Role.FRONT_DESK, Role.MANAGER) or user.is_superuser
        user.save(update_fields=["role", "is_staff"])
        staff_groups = Group.objects.filter(name__in=[str(r) for r in STAFF_ROLES])
        user.groups.remove(*staff_groups)
        if role in STAFF_ROLES:
            group, _ = Group.objects.get_or_create(name=role)
            user.groups.add(group)
    return user
