from django.conf import settings

from . import __version__
from .menu import menu
from .roles import ROLES


def shell(request) -> dict:
    """What every page of the shell needs: the menu the user may see and their roles.

    Computed once per request: templates rendered per row (django-tables2 template columns) run the context
    processors again for each row.
    """
    cached = getattr(request, "_shell_context", None)
    if cached is None:
        cached = request._shell_context = _shell(request)
    return cached


def _shell(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"main_menu": [], "user_roles": [], "app_version": __version__, "debug": settings.DEBUG}
    roles = [g.name for g in user.groups.all() if g.name in ROLES]
    return {"main_menu": menu.tree(request), "user_roles": roles, "app_version": __version__, "debug": settings.DEBUG}
