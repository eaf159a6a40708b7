import functools
import zoneinfo

from django.conf import settings
from django.utils import timezone


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


class UserTimezoneMiddleware:
    """Show times in the browser's time zone, which base.html stores in the `tz` cookie.

    The cookie is the browser's to set, so anything not a known IANA zone name is ignored.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name = request.COOKIES.get("tz", "")
        if name in _known_zones():
            timezone.activate(zoneinfo.ZoneInfo(name))
        else:
            timezone.deactivate()
        return self.get_response(request)


class PermissionsPolicyMiddleware:
    """Send `settings.PERMISSIONS_POLICY` ({feature: [allowed origins]}, an empty list denies it) on every response."""

    def __init__(self, get_response):
        self.get_response = get_response
        policy = getattr(settings, "PERMISSIONS_POLICY", {})
        self.header = ", ".join(f"{feature}=({' '.join(origins)})" for feature, origins in policy.items())

    def __call__(self, request):
        response = self.get_response(request)
        if self.header and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = self.header
        return response
