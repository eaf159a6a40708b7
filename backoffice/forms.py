"""Form building blocks: crispy-bootstrap5 rendering with the house's bottom action bar."""

from __future__ import annotations

from crispy_forms.helper import FormHelper


def form_helper(*, form_tag: bool = False) -> FormHelper:
    """A helper for forms rendered inside `includes/form.html`, which supplies the <form> and the action bar."""
    helper = FormHelper()
    helper.form_tag = form_tag
    helper.disable_csrf = True
    return helper


class SaveActionsMixin:
    """Views with *Save* (stay on the edit page) and *Save and Close* (back to the grid) buttons.

    The pressed button arrives as `action=save` or `action=save_close`.
    """

    close_url_name: str = ""

    def save_and_close(self) -> bool:
        return self.request.POST.get("action", "save_close") != "save"
