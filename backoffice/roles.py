"""The three roles, as groups with permissions.

The groups are created by a migration. Apps grant their own permissions to roles in `AppConfig.ready()`
through `grant()`; after every `migrate` the groups' permissions are set to exactly what was granted
(Administrators get every permission).
"""

from __future__ import annotations

from collections import defaultdict

ADMINISTRATOR = "Administrator"
MARKETING_MANAGER = "Marketing Manager"
OPERATIONS = "Operations"
ROLES = (ADMINISTRATOR, MARKETING_MANAGER, OPERATIONS)

_grants: dict[str, set[str]] = defaultdict(set)


def grant(role: str, *permissions: str) -> None:
    """Give `role` the permissions, each written "app_label.codename"."""
    if role not in ROLES:
        raise ValueError(f"Unknown role {role!r}; expected one of {', '.join(ROLES)}")
    _grants[role].update(permissions)


def granted(role: str) -> frozenset[str]:
    return frozenset(_grants[role])


def sync_role_permissions(using: str = "default") -> None:
    """Create the groups if missing and set each one's permissions to what the apps granted."""
    from django.contrib.auth.models import Group, Permission
    from django.db.models import Q

    for role in ROLES:
        group, _ = Group.objects.using(using).get_or_create(name=role)
        if role == ADMINISTRATOR:
            perms = Permission.objects.using(using).all()
        else:
            query = Q(pk__in=[])
            for name in _grants[role]:
                app_label, codename = name.split(".", 1)
                query |= Q(content_type__app_label=app_label, codename=codename)
            perms = Permission.objects.using(using).filter(query)
        group.permissions.set(perms)
