"""The actions on one integration, the same on its page (upper-right corner) and in its grid row."""

from __future__ import annotations

from django.urls import reverse

from backoffice.generic import action

from .models import Integration

INACTIVE_CANNOT_SYNC = "Activate the integration to sync it"


def integration_actions(integration: Integration, *, with_view: bool = False) -> list[dict]:
    """Every action on one integration, for its page's upper-right corner and for its row in the grid."""
    pk = integration.pk
    actions = []
    if with_view:
        actions.append(action("View", reverse("integrations:detail", args=[pk]), icon="eye"))
    actions.append(
        action(
            "Schedule Sync",
            reverse("integrations:schedule_sync", args=[pk]),
            method="post",
            permission="integrations.run_sync",
            icon="arrow-repeat",
            disabled="" if integration.enabled else INACTIVE_CANNOT_SYNC,
            testid="schedule-sync",
        )
    )
    actions.append(
        action(
            "Edit",
            reverse("integrations:edit", args=[pk]),
            permission="integrations.change_integration",
            style="outline-primary",
            icon="pencil",
        )
    )
    toggle = reverse("integrations:toggle", args=[pk])
    if integration.enabled:
        actions.append(
            action(
                "Deactivate",
                toggle,
                method="post",
                fields={"enabled": "0"},
                permission="integrations.change_integration",
                style="outline-secondary",
                icon="pause-circle",
                confirm=f"Deactivate “{integration.name}”? Its scheduled syncs stop and a running sync is cancelled.",
            )
        )
    else:
        actions.append(
            action(
                "Activate",
                toggle,
                method="post",
                fields={"enabled": "1"},
                permission="integrations.change_integration",
                style="outline-success",
                icon="play-circle",
            )
        )
    actions.append(
        action(
            "Delete",
            reverse("integrations:delete", args=[pk]),
            permission="integrations.delete_integration",
            style="outline-danger",
            icon="trash",
        )
    )
    return actions
