"""People: one user model keyed by email for guests, members and staff (SPEC §2)."""

import secrets
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac


class Role(models.TextChoices):
    """Staff and customer roles; staff roles are Django groups of the same name (SPEC §2)."""

    CUSTOMER = "customer", "Customer"
    TECHNICIAN = "technician", "Technician"
    FRONT_DESK = "front_desk", "Front desk"
    MANAGER = "manager", "Manager"


STAFF_ROLES = (Role.TECHNICIAN, Role.FRONT_DESK, Role.MANAGER)
DESK_ROLES = (Role.FRONT_DESK, Role.MANAGER)
"""Roles that act for every customer: see and change any booking, take payments at the desk."""


def acts_for_every_customer(user) -> bool:
    """Tell whether ``user`` acts for every customer: front desk, managers and superusers
    (``None`` and anonymous users do not)."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and (getattr(user, "is_superuser", False) or getattr(user, "role", None) in DESK_ROLES)
    )


class UserManager(BaseUserManager["User"]):
    """Create users by email; the email is normalized to lower case."""

    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        """Create a customer account."""
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        """Create a superuser (a manager with every permission)."""
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("role", Role.MANAGER)
        return self._create_user(email, password, **extra)


def new_session_stamp() -> str:
    """Return a fresh random session stamp (32 hex characters)."""
    return secrets.token_hex(16)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an email: customer, technician, front desk or manager."""

    email = models.EmailField(unique=True)
    name = models.CharField(max_length=150)
    phone = models.CharField(max_length=32, blank=True)
    birthday = models.DateField(null=True, blank=True)
    emergency_contact = models.CharField(max_length=200, blank=True)
    marketing_consent = models.BooleanField(default=False)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.CUSTOMER)
    preferences = models.JSONField(
        default=dict, blank=True, help_text="Spa preferences: pressure, temperature, music…"
    )
    notification_preferences = models.JSONField(
        default=dict, blank=True, help_text='Per-channel opt-in, e.g. {"email": true}.'
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May log into the admin site.")
    date_joined = models.DateTimeField(default=timezone.now)
    session_stamp = models.CharField(
        max_length=32,
        default=new_session_stamp,
        editable=False,
        help_text="Changed to sign the user out of every browser session.",
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        # Django keeps a session valid while this HMAC matches the one stored at sign-in.
        # Mixing in the session stamp lets "sign out everywhere" end every other session
        # without a password change (Django's own hash covers only the password).
        return salted_hmac(
            "coresync.accounts.User.get_session_auth_hash",
            f"{self.password}:{self.session_stamp}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name.split(" ")[0] if self.name else self.email

    @property
    def is_manager(self) -> bool:
        return self.is_superuser or self.role == Role.MANAGER
