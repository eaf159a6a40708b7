"""How users appear on pages and in choices: written once here, used by every app."""

from __future__ import annotations

from collections.abc import Iterable


def person_name(user) -> str:
    """A user's full name, or the username when there is none (owners in grids, "who" columns)."""
    return user.get_full_name() or user.get_username()


def user_label(user) -> str:
    """A user in a choice list: "Full Name (username)", so two people of the same name can be told apart."""
    full_name = user.get_full_name()
    return f"{full_name} ({user.get_username()})" if full_name else user.get_username()


def owner_choices(users: Iterable, *, keep_id: int | None = None, blank: str = "---------") -> list[tuple]:
    """Choices of an owner field: the active users, plus the current owner `keep_id` even when deactivated, so a
    form still shows who owns the record."""
    choices: list[tuple] = [("", blank)]
    for user in users:
        if user.is_active or user.pk == keep_id:
            choices.append((user.pk, user_label(user)))
    return choices
