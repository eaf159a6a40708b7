"""The main menu: a registry that apps fill in their `AppConfig.ready()`.

An item names the path of groups it sits under ("System", "Integrations"), the URL it opens, the permission
a user needs to see it, and optionally a condition (for example "an active Dotdigital integration exists").
A group with no visible item is not shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.http import HttpRequest
from django.urls import reverse

Condition = Callable[[HttpRequest], bool]


@dataclass(frozen=True)
class MenuItem:
    path: tuple[str, ...]
    label: str
    url_name: str
    permissions: tuple[str, ...] = ()
    condition: Condition | None = None
    order: int = 100
    icon: str = ""

    def visible_to(self, request: HttpRequest) -> bool:
        user = request.user
        if not user.is_authenticated or not user.has_perms(self.permissions):
            return False
        return self.condition is None or bool(self.condition(request))

    @property
    def url(self) -> str:
        return reverse(self.url_name)


@dataclass
class MenuNode:
    label: str
    items: list[MenuItem] = field(default_factory=list)
    children: list[MenuNode] = field(default_factory=list)
    order: int = 100

    def is_empty(self) -> bool:
        return not self.items and all(child.is_empty() for child in self.children)


class MenuRegistry:
    def __init__(self) -> None:
        self._items: dict[tuple[tuple[str, ...], str], MenuItem] = {}
        self._group_order: dict[tuple[str, ...], int] = {}

    def group(self, *path: str, order: int = 100) -> None:
        """Fix the position of a group among its siblings."""
        self._group_order[tuple(path)] = order

    def register(self, item: MenuItem) -> MenuItem:
        self._items[(item.path, item.label)] = item
        return item

    def unregister(self, path: tuple[str, ...], label: str) -> None:
        self._items.pop((tuple(path), label), None)

    def items(self) -> list[MenuItem]:
        return list(self._items.values())

    def visible_items(self, request: HttpRequest) -> list[MenuItem]:
        return [item for item in self._items.values() if item.visible_to(request)]

    def tree(self, request: HttpRequest) -> list[MenuNode]:
        """The top-level groups the user may see, each with its items and sub-groups, in order."""
        roots: dict[str, MenuNode] = {}
        nodes: dict[tuple[str, ...], MenuNode] = {}
        for item in sorted(self.visible_items(request), key=lambda i: (i.order, i.label)):
            parent: MenuNode | None = None
            for depth in range(1, len(item.path) + 1):
                key = item.path[:depth]
                if key not in nodes:
                    nodes[key] = MenuNode(label=key[-1], order=self._group_order.get(key, 100))
                    if parent is None:
                        roots[key[0]] = nodes[key]
                    else:
                        parent.children.append(nodes[key])
                parent = nodes[key]
            parent.items.append(item)
        for node in nodes.values():
            node.children.sort(key=lambda n: (n.order, n.label))
        return sorted(roots.values(), key=lambda n: (n.order, n.label))


menu = MenuRegistry()
menu.group("Marketing", order=10)
menu.group("System", order=90)
