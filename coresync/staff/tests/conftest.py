"""Personas of the staff side: Ana's and Ben's logins (technicians of the root spa), a
manager and the front desk."""

import pytest
from rest_framework.test import APIClient

from coresync.accounts.models import Role, User
from coresync.accounts.services import set_role


def staff_user(email: str, role: str, name: str | None = None) -> User:
    user = User.objects.create_user(
        email=email, password="pass-word-123", name=name or email.split("@")[0].title()
    )
    return set_role(user, role)


@pytest.fixture
def ana_login(spa):
    user = staff_user("ana@example.com", Role.TECHNICIAN, "Ana Ruiz")
    spa.ana.user = user
    spa.ana.save(update_fields=["user"])
    return user


@pytest.fixture
def ben_login(spa):
    user = staff_user("ben@example.com", Role.TECHNICIAN, "Ben Cole")
    spa.ben.user = user
    spa.ben.save(update_fields=["user"])
    return user


@pytest.fixture
def boss(spa):
    return staff_user("boss@example.com", Role.MANAGER, "Mina Park")


@pytest.fixture
def desk(spa):
    return staff_user("desk@example.com", Role.FRONT_DESK, "Dara Desk")


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client
