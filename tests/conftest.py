"""Fixtures shared by the whole suite: users per role, and the rule for tests that need a missing server."""

from __future__ import annotations

import os

import factory
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from backoffice import roles

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def skip_or_fail(reason: str) -> None:
    """Outside CI a test that needs something missing skips with its reason; in CI it fails loudly."""
    if IN_CI:
        pytest.fail(f"Required in CI: {reason}")
    pytest.skip(reason)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("correct-horse-battery")
    is_active = True


@pytest.fixture
def make_user(db):
    """make_user(role=None, **fields): a user in the given role's group."""

    def make(role: str | None = None, **fields):
        user = UserFactory(**fields)
        if role:
            roles.sync_role_permissions()
            user.groups.add(Group.objects.get(name=role))
        return get_user_model().objects.get(pk=user.pk)  # fresh: no stale permission cache

    return make


@pytest.fixture
def administrator(make_user):
    return make_user(roles.ADMINISTRATOR, username="admin1", is_staff=True)


@pytest.fixture
def marketer(make_user):
    return make_user(roles.MARKETING_MANAGER, username="marketer1")


@pytest.fixture
def operator(make_user):
    return make_user(roles.OPERATIONS, username="ops1")


@pytest.fixture
def role_users(administrator, marketer, operator):
    return {roles.ADMINISTRATOR: administrator, roles.MARKETING_MANAGER: marketer, roles.OPERATIONS: operator}


@pytest.fixture
def admin_client(client, administrator):
    """The test client signed in as an Administrator (replaces pytest-django's superuser `admin_client`)."""
    client.force_login(administrator)
    return client


@pytest.fixture
def connect_sandbox(settings, administrator):
    """connect_sandbox(sandbox, name=..., owner=..., **settings): a Dotdigital integration on a running sandbox (the
    allow-list accepts it: DOTDIGITAL_API_URL is the sandbox's), as if created through the form after a check."""
    from integrations import services

    def connect(sandbox, name: str = "Dotdigital EU", owner=None, **extra):
        settings.DOTDIGITAL_API_URL = sandbox.url
        return services.create_integration(
            type_key="dotdigital",
            name=name,
            default_owner=owner or administrator,
            settings={"username": sandbox.username, **extra},
            secrets={"password": sandbox.password},
            discovered_settings={"api_endpoint": sandbox.url},
            user=administrator,
        )

    return connect
