"""Account changes: registration and roles (SPEC §2)."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from coresync.accounts.models import DESK_ROLES, STAFF_ROLES, Role, User, new_session_stamp
from coresync.accounts.preferences import (
    stored_notification_preferences,
    validate_notification_preferences,
    validate_preferences,
)
from coresync.accounts.roles import sync_role_groups
from coresync.accounts.validation import normalize_phone
from coresync.core.errors import InvalidInput


def register_customer(*, email: str, password: str, name: str, phone: str = "") -> User:
    """Create a customer account.

    Args:
        email: login; stored lower-case; must be unused.
        password: checked by Django's password validators (length, common, numeric…).
        name: the customer's name (1-150 characters).
        phone: optional; stored in E.164 form (:func:`normalize_phone`), used by the front
            desk and the phone assistant to recognise the caller.

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
    try:
        phone = normalize_phone(phone)
    except InvalidInput as error:
        fields.update(error.fields)
    if fields:
        raise InvalidInput("; ".join(fields.values()), fields=fields)
    try:
        with transaction.atomic():
            return User.objects.create_user(email=email, password=password, name=name, phone=phone)
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
        user.is_staff = role in DESK_ROLES or user.is_superuser
        user.save(update_fields=["role", "is_staff"])
        groups = sync_role_groups()
        staff_groups = Group.objects.filter(name__in=[str(r) for r in STAFF_ROLES])
        user.groups.remove(*staff_groups)
        if role in STAFF_ROLES:
            user.groups.add(groups[str(role)])
    return user


def password_reset_link(user: User) -> str:
    """Return the absolute link that lets ``user`` choose a new password.

    The link holds the user's id (base64) and a token from Django's
    ``default_token_generator``, valid for ``PASSWORD_RESET_TIMEOUT`` seconds and only until
    the password changes. The email carrying it is sent through the outbox
    (``coresync.notifications.account_mail``), never inside the request.
    """
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return f"{settings.SITE_URL}/account/password/reset/{uid}/{token}/"


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
    return _set_new_password(user, new_password)


def change_password(user: User, *, current_password: str, new_password: str) -> User:
    """Change ``user``'s password and sign them out everywhere else.

    Raises:
        InvalidInput: the current password is wrong (field ``current_password``) or the new
            one is weak (field ``new_password``).
    """
    if not user.check_password(current_password or ""):
        raise InvalidInput(
            "The current password is not right.",
            fields={"current_password": "The current password is not right."},
        )
    return _set_new_password(user, new_password)


def _set_new_password(user: User, new_password: str) -> User:
    """Check ``new_password`` with Django's validators, store it and revoke every sign-in.

    Raises:
        InvalidInput: a weak password (field ``new_password``).
    """
    try:
        validate_password(new_password or "", user=user)
    except ValidationError as error:
        message = " ".join(error.messages)
        raise InvalidInput(message, fields={"new_password": message}) from error
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        revoke_sign_ins(user)
    return user


def revoke_sign_ins(user: User) -> int:
    """Sign ``user`` out everywhere: revoke every refresh token and every browser session.

    1. Blacklist each outstanding refresh token of the user (simplejwt's blacklist), so no
       token issued so far can be refreshed again; access tokens also carry a hash of the
       password (``CHECK_REVOKE_TOKEN``) and die with a password change, else within their
       15-minute lifetime.
    2. Change the user's session stamp, which invalidates every Django session signed in
       before (see ``User._get_session_auth_hash``). A view that wants to keep the caller's
       own session calls ``django.contrib.auth.update_session_auth_hash`` afterwards.

    Called by a password reset or change, deactivation and deletion, and "sign out
    everywhere". Returns how many refresh tokens were newly blacklisted.
    """
    with transaction.atomic():
        user.session_stamp = new_session_stamp()
        User.objects.filter(pk=user.pk).update(session_stamp=user.session_stamp)
        outstanding = OutstandingToken.objects.filter(user=user).exclude(
            blacklistedtoken__isnull=False
        )
        revoked = BlacklistedToken.objects.bulk_create(
            [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
        )
    return len(revoked)


def deactivate_user(user: User) -> User:
    """Stop ``user`` from signing in (staff leaving, a closed account) and revoke every
    sign-in they have (:func:`revoke_sign_ins`)."""
    with transaction.atomic():
        user.is_active = False
        user.save(update_fields=["is_active"])
        revoke_sign_ins(user)
    return user


def anonymize_account(user: User) -> None:
    """Erase the personal data the account itself holds (SPEC §11; the whole erasure, bookings
    included, is :func:`coresync.privacy.services.delete_account`).

    The account is anonymized rather than removed so that bookings, fees and accounting rows
    stay consistent: email becomes ``deleted-<id>@deleted.invalid``, name "Deleted customer",
    phone, birthday, contacts and preferences are cleared, the password is unusable, the
    account inactive and every sign-in revoked. Call inside the caller's transaction.
    """
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
    revoke_sign_ins(user)


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
        InvalidInput: an empty or over-long name, a phone number that is not E.164, a
            preference outside the vocabulary (:mod:`coresync.accounts.preferences`).
    """
    name = (name or "").strip()
    if not name or len(name) > 150:
        raise InvalidInput(
            "Enter your name (up to 150 characters).",
            fields={"name": "Enter your name (up to 150 characters)."},
        )
    user.name = name
    user.phone = normalize_phone(phone)
    user.marketing_consent = bool(marketing_consent)
    user.preferences = validate_preferences(preferences or {})
    user.notification_preferences = {
        **stored_notification_preferences(user.notification_preferences),
        **validate_notification_preferences(notification_preferences or {}),
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
