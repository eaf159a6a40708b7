"""Pages under the Content-Security-Policy: what moved out of inline handlers still works, and nothing is refused.

The `page` fixture fails any test whose console reports a Content-Security-Policy violation; these tests visit pages
the other browser tests do not (the Django admin, the 404 page) and check the console for Permissions-Policy errors.
"""

import pytest

from backoffice import roles
from tests.browser.conftest import log_in
from tests.marketing.conftest import ContactFactory, MarketingListFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_tick_all_ticks_and_unticks_every_candidate(page, make_user):
    admin = make_user(roles.ADMINISTRATOR, username="admin1", is_superuser=True, is_staff=True)
    for first in ("Nora", "Noah", "Nia"):
        ContactFactory(first_name=first, email=f"{first.lower()}@example.com", owner=admin)
    marketing_list = MarketingListFactory(name="Spring Newsletter", owner=admin)
    log_in(page, "admin1")

    page.goto(f"/marketing/lists/{marketing_list.pk}/members/add/")
    boxes = page.locator("[data-testid=candidates] input[name=contact]")
    assert boxes.count() == 3
    page.check("input[data-tick-all=contact]")
    assert [boxes.nth(i).is_checked() for i in range(3)] == [True, True, True]
    page.uncheck("input[data-tick-all=contact]")
    assert [boxes.nth(i).is_checked() for i in range(3)] == [False, False, False]


def test_admin_404_and_form_pages_load_without_a_policy_error(page, make_user):
    make_user(roles.ADMINISTRATOR, username="admin1", is_superuser=True, is_staff=True)
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    log_in(page, "admin1")
    for url in ("/", "/integrations/create/?type=dotdigital", "/marketing/contacts/", "/django-admin/", "/nowhere/"):
        page.goto(url)
        page.wait_for_load_state("load")
    page.goto("/django-admin/marketing/contact/add/")
    assert page.locator("#contact_form").is_visible()
    assert page.locator("#content").is_visible()
    policy_errors = [text for text in messages if "Permissions-Policy" in text or "Permissions Policy" in text]
    assert policy_errors == []
