"""Account changes: registration and roles (SPEC §2)."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from coresync.accounts.models import STAFF_ROLES, Role, User
from coresync.accounts.roles import sync_role_groups
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
    """Give ``user`` a role: sets ``role``, the Django group of the same name with the role's
    admin permissions (groups and permissions are created or repaired here, see
    :mod:`coresync.accounts.roles`), and admin access (``is_staff``) for front desk and
    managers.

    Raises:
        InvalidInput: an unknown role.
    """
    if role not in Role.values:
        raise InvalidInput(f'Unknown role "{role}".', fields={"role": "Unknown role."})
    with transaction.atomic():
        user.role = role
        user.is_staff = role in (Role.FRONT_DESK, Role.MANAGER) or user.is_superuser
        user.save(update_fields=["role", "is_staff"])
        groups = sync_role_groups()
        staff_groups = Group.objects.filter(name__in=[str(r) for r in STAFF_ROLES])
        user.groups.remove(*staff_groups)
        if role in STAFF_ROLES:
            user.groups.add(groups[str(role)])
    return user


def request_password_reset(email: str) -> None:
    """Email a password-reset link to the account with ``email``, if there is one.

    Says nothing about whether the account exists (no account enumeration). The link holds
    the user's id (base64) and a token from Django's ``default_token_generator``, valid for
    ``PASSWORD_RESET_TIMEOUT`` seconds and only until the password changes.
    """
    user = User.objects.filter(email__iexact=(email or "").strip(), is_active=True).first()
    if user is None or not user.has_usable_password():
        return
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    link = f"{settings.SITE_URL}/account/password/reset/{uid}/{token}/"
    body = (
        f"Hello {user.get_short_name()},\n\n"
        f"Someone asked to reset the password of your CoreSync account. To choose a new one, "
        f"open this link within three hours:\n\n{link}\n\n"
        f"If it was not you, ignore this email: your password stays as it is.\n"
    )
    transaction.on_commit(
        lambda: send_mail("Reset your CoreSync password", body, None, [user.email])
    )


def reset_password(*, uid: str, token: str, new_password: str) -> User:
    """Set a new password from a reset link.

    Raises:
        InvalidInput: the link is invalid or expired (field ``token``), or the password is
            weak (field ``new_password``).
    """
    try:
        user = User.objects.get(pk=int(force_str(urlsafe_base64_decode(uid))), is_active=True)
    except (ValueError, TypeError, OverflowError, User.DoesNotExist):
        user = None
    if user is None or not default_token_generator.check_token(user, token):
        raise InvalidInput(
            "This password-reset link is invalid or has expired.",
            fields={"token": "Ask for a new link."},
        )
    try:
        validate_password(new_password or "", user=user)
    except ValidationError as error:
        message = " ".join(error.messages)
        raise InvalidInput(message, fields={"new_password": message}) from error
    user.set_password(new_password)
    user.save(update_fields=["password"])
    return user


def delete_account(user: User) -> None:
    """Erase a customer's personal data (SPEC §11 "data export and deletion").

    The account is anonymized rather than removed so that bookings, fees and accounting rows
    stay consistent: email becomes ``deleted-<id>@deleted.invalid``, name "Deleted customer",
    phone, birthday, contacts and preferences are cleared, the password is unusable and the
    account inactive. Booking notes and preferences are cleared too; times, services and
    amounts stay for the books.
    """
    from coresync.bookings.models import Booking

    with transaction.atomic():
        user.email = f"deleted-{user.pk}@deleted.invalid"
        user.name = "Deleted customer"
        user.phone = ""
        user.birthday = None
        user.emergency_contact = ""
        user.marketing_consent = False
        user.preferences = {}
        user.notification_preferences = {}
        user.is_active = False
        user.set_unusable_password()
        user.save()
        Booking.objects.filter(customer=user).update(notes="", preferences={})


def update_profile(
    user: User,
    *,
    name: str,
    phone: str = "",
    marketing_consent: bool = False,
    preferences: dict[str, str] | None = None,
    notification_preferences: dict[str, bool] | None = None,
) -> User:
    """Save the details a customer edits on their account page (the site's profile form).

    ``preferences`` replaces the spa preferences (pressure, temperature, music, aromatherapy,
    scene); ``notification_preferences`` sets each channel's opt-in (``email``/``sms``/
    ``push``). Role, email and staff flags are never touched here.

    Raises:
        InvalidInput: an empty or over-long name.
    """
    name = (name or "").strip()
    if not name or len(name) > 150:
        raise InvalidInput(
            "Enter your name (up to 150 characters).",
            fields={"name": "Enter your name (up to 150 characters)."},
        )
    user.name = name
    user.phone = (phone or "").strip()[:32]
    user.marketing_consent = bool(marketing_consent)
    user.preferences = dict(preferences or {})
    user.notification_preferences = {
        **(user.notification_preferences or {}),
        **(notification_preferences or {}),
    }
    user.save(
        update_fields=[
            "name",
            "phone",
            "marketing_consent",
            "preferences",
            "notification_preferences",
        ]
    )
    return user
