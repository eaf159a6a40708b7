"""The shell: login and its throttle, the health endpoint, error pages, roles and the menu registry."""

import copy
from unittest import mock

import pytest
from django.contrib.auth.models import Group
from django.test import RequestFactory
from django.urls import reverse
from django.views.generic import TemplateView

from backoffice import roles
from backoffice.generic import BackofficeMixin
from backoffice.menu import MenuItem, MenuRegistry

pytestmark = pytest.mark.django_db


def test_login_page_renders(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'name="username"' in response.content and b"csrfmiddlewaretoken" in response.content


def test_anonymous_user_is_sent_to_login(client):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_login_and_logout(client, marketer):
    response = client.post(reverse("login"), {"username": "marketer1", "password": "correct-horse-battery"})
    assert response.status_code == 302 and response.url == reverse("dashboard")
    assert client.get(reverse("dashboard")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("dashboard")).status_code == 302


def test_failed_logins_are_throttled(client, marketer, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(reverse("login"), {"username": "marketer1", "password": "wrong"})
        assert b"Please enter a correct username and password" in response.content
    response = client.post(reverse("login"), {"username": "marketer1", "password": "wrong"})
    assert response.status_code == 429
    # Locked out: even the right password is refused until the cool-off ends.
    response = client.post(reverse("login"), {"username": "marketer1", "password": "correct-horse-battery"})
    assert response.status_code == 429
    assert b"Too many failed logins" in response.content


def test_password_change(client, marketer):
    client.force_login(marketer)
    response = client.post(
        reverse("password_change"),
        {"old_password": "correct-horse-battery", "new_password1": "a-new-long-pass-42", "new_password2": "x"},
    )
    assert response.status_code == 200
    assert b"two password fields" in response.content.lower() or b"didn" in response.content
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "correct-horse-battery",
            "new_password1": "a-new-long-pass-42",
            "new_password2": "a-new-long-pass-42",
        },
    )
    assert response.status_code == 302
    marketer.refresh_from_db()
    assert marketer.check_password("a-new-long-pass-42")


def test_health_reports_database_and_broker(client):
    response = client.get(reverse("health"))
    assert response.status_code == 200
    body = response.json()
    assert body["database"]["reachable"] is True
    assert body["broker"]["reachable"] is True
    assert body["status"] == "ok"


def test_health_is_503_when_the_broker_is_down(client):
    with mock.patch("backoffice.views.celery_app.connection_for_write", side_effect=OSError("refused")):
        response = client.get(reverse("health"))
    assert response.status_code == 503
    assert response.json()["broker"] == {"reachable": False, "detail": "OSError"}


def test_404_page_uses_the_shell(client, marketer):
    client.force_login(marketer)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"This page does not exist." in response.content
    assert b'data-testid="main-menu"' in response.content


def test_roles_exist_after_migrate():
    assert set(Group.objects.filter(name__in=roles.ROLES).values_list("name", flat=True)) == set(roles.ROLES)


def test_administrator_has_every_permission(administrator):
    from django.contrib.auth.models import Permission

    assert administrator.get_all_permissions() == {
        f"{p.content_type.app_label}.{p.codename}" for p in Permission.objects.select_related("content_type")
    }


def test_unknown_role_is_refused():
    with pytest.raises(ValueError, match="Unknown role"):
        roles.grant("Janitor", "auth.view_user")


class _Secret(BackofficeMixin, TemplateView):
    template_name = "backoffice/dashboard.html"
    permission_required = "auth.change_user"
    title = "Secret"


def test_a_signed_in_user_without_the_permission_gets_403(marketer, administrator):
    from django.core.exceptions import PermissionDenied

    request = RequestFactory().get("/secret/")
    request.user = marketer
    with pytest.raises(PermissionDenied):
        _Secret.as_view()(request)
    request.user = administrator
    assert _Secret.as_view()(request).status_code == 200


def test_menu_registry_shows_only_permitted_items_and_drops_empty_groups(role_users, monkeypatch):
    registry = MenuRegistry()
    registry.group("Marketing", order=1)
    registry.group("System", order=2)
    registry.register(MenuItem(("System", "Integrations"), "Manage Integrations", "dashboard", ("auth.change_user",)))
    registry.register(MenuItem(("Marketing",), "Contacts", "dashboard", ("auth.view_group",)))
    registry.register(
        MenuItem(("Marketing", "Dotdigital"), "Email Studio", "dashboard", ("auth.view_group",), condition=lambda r: 0)
    )
    request = RequestFactory().get("/")

    def seen(user):
        request.user = user
        tree = registry.tree(request)
        out = []
        for node in tree:
            out += [f"{node.label} > {i.label}" for i in node.items]
            out += [f"{node.label} > {c.label} > {i.label}" for c in node.children for i in c.items]
        return out

    monkeypatch.setattr(roles, "_grants", copy.deepcopy(roles._grants))
    roles.grant(roles.MARKETING_MANAGER, "auth.view_group")
    roles.sync_role_permissions()
    admin = type(role_users[roles.ADMINISTRATOR]).objects.get(pk=role_users[roles.ADMINISTRATOR].pk)
    mkt = type(admin).objects.get(pk=role_users[roles.MARKETING_MANAGER].pk)
    ops = type(admin).objects.get(pk=role_users[roles.OPERATIONS].pk)
    assert seen(admin) == ["Marketing > Contacts", "System > Integrations > Manage Integrations"]
    assert seen(mkt) == ["Marketing > Contacts"]
    assert seen(ops) == []


def test_health_is_503_when_the_database_is_down(client):
    with mock.patch("backoffice.views.connection.cursor", side_effect=OSError("no database")):
        response = client.get(reverse("health"))
    assert response.status_code == 503
    assert response.json()["database"] == {"reachable": False, "detail": "OSError"}
    assert response.json()["broker"]["reachable"] is True


@pytest.mark.parametrize("cookie", ["America", "../../etc/passwd", "x" * 5000, "Not/AZone"])
def test_a_bad_time_zone_cookie_is_ignored(client, marketer, cookie):
    client.force_login(marketer)
    client.cookies["tz"] = cookie
    assert client.get(reverse("dashboard")).status_code == 200


def test_a_known_time_zone_cookie_is_used():
    from django.utils import timezone

    from backoffice.middleware import UserTimezoneMiddleware

    request = RequestFactory().get("/")
    request.COOKIES["tz"] = "Asia/Tokyo"
    seen = UserTimezoneMiddleware(lambda r: timezone.get_current_timezone_name())(request)
    assert seen == "Asia/Tokyo"
    request.COOKIES["tz"] = "America"
    assert UserTimezoneMiddleware(lambda r: timezone.get_current_timezone_name())(request) == "UTC"
