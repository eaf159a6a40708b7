"""Security headers on every page: a Content-Security-Policy without inline script or style, and a Permissions-Policy.

Also, since the policy forbids them, no template may carry an inline script, an on*= handler or a style attribute.
"""

import re
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.urls import include, path
from django.views import View

from backoffice.csp import allow_frames_from
from integrations.models import Integration
from marketing.models import Contact, MarketingList

ROOT = Path(__file__).resolve().parents[2]
EMAIL_STUDIO = "https://r1-app.dotdigital.com"


@allow_frames_from(EMAIL_STUDIO)
def framing_view(request):
    return HttpResponse("<!doctype html><title>frame</title>")


@allow_frames_from(EMAIL_STUDIO)
class FramingClassView(View):
    def get(self, request):
        return HttpResponse("<!doctype html><title>frame</title>")


# This module doubles as a URLconf: the site's URLs plus two views that frame Email Studio.
urlpatterns = [
    path("test-framing/", framing_view),
    path("test-framing-class/", FramingClassView.as_view()),
    path("", include("backoffice.urls")),
]


def directives(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def assert_policy(response) -> None:
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-src"] == ["'self'"]
    header = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in header and "unsafe-eval" not in header
    permissions = dict(item.split("=", 1) for item in response.headers["Permissions-Policy"].split(", "))
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert permissions[feature] == "()", feature


@pytest.fixture
def pages(db, administrator):
    integration = Integration.objects.create(name="Main account", type="dotdigital", default_owner=administrator)
    contact = Contact.objects.create(
        first_name="Ada", last_name="Lovelace", email="ada@example.com", owner=administrator
    )
    marketing_list = MarketingList.objects.create(name="Newsletter", owner=administrator)
    return {
        "dashboard": "/",
        "integrations grid": "/integrations/",
        "integration view": f"/integrations/{integration.pk}/",
        "create integration": "/integrations/create/?type=dotdigital",
        "contacts grid": "/marketing/contacts/",
        "contact view": f"/marketing/contacts/{contact.pk}/",
        "list add members": f"/marketing/lists/{marketing_list.pk}/members/add/",
        "django admin": "/django-admin/",
    }


def test_the_login_page_and_the_404_page_carry_both_headers(client, db):
    login = client.get("/login/")
    assert login.status_code == 200
    assert_policy(login)
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    assert_policy(missing)


def test_every_signed_in_page_carries_both_headers(admin_client, pages):
    for name, url in pages.items():
        response = admin_client.get(url)
        assert response.status_code == 200, name
        assert_policy(response)


def test_a_redirect_carries_the_permissions_policy(client, db):
    response = client.get("/integrations/")
    assert response.status_code == 302
    assert "camera=()" in response.headers["Permissions-Policy"]


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("url", ["/test-framing/", "/test-framing-class/"])
def test_one_view_can_allow_a_frame_source_without_widening_the_others(client, db, url):
    framing = directives(client.get(url))
    assert framing["frame-src"] == ["'self'", EMAIL_STUDIO]
    assert framing["frame-ancestors"] == ["'none'"]  # framing Email Studio does not let anyone frame us
    assert directives(client.get("/login/"))["frame-src"] == ["'self'"]


def test_allow_frames_from_needs_an_origin():
    with pytest.raises(ValueError, match="at least one origin"):
        allow_frames_from()


def templates() -> list[Path]:
    found = sorted(
        p for p in ROOT.glob("**/templates/**/*.html") if ".venv" not in p.parts and "node_modules" not in p.parts
    )
    assert len(found) > 30, "the template search found too few templates to prove anything"
    return found


INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>\s*\S", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
STYLE = re.compile(r"<[^>]*\sstyle\s*=|<style\b", re.IGNORECASE)


def test_no_template_has_an_inline_script_an_event_handler_or_a_style_attribute():
    offenders = []
    for template in templates():
        text = template.read_text()
        for name, pattern in (("inline script", INLINE_SCRIPT), ("on*= handler", EVENT_HANDLER), ("style", STYLE)):
            if pattern.search(text):
                offenders.append(f"{template.relative_to(ROOT)}: {name}")
    assert offenders == []


@pytest.mark.parametrize(
    ("html", "caught"),
    [
        ("<script>alert(1)</script>", True),
        ('<script src="/static/x.js"></script>', False),
        ('<input type="checkbox" onclick="go()">', True),
        ('<div hx-get="/x" data-on="1">', False),
        ('<div class="x" style="width: 3rem">', True),
    ],
)
def test_the_template_patterns_catch_what_they_should(html, caught):
    assert any(p.search(html) for p in (INLINE_SCRIPT, EVENT_HANDLER, STYLE)) is caught
