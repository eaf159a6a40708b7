"""The one way to talk to Dotdigital: `DotdigitalClient` (see `dotdigital.client.api`)."""

from dotdigital.client.api import PAGE_SIZE, AccountInfo, DotdigitalClient, format_since, rows_to_csv
from dotdigital.client.hosts import check_host_allowed, is_loopback_host

__all__ = [
    "PAGE_SIZE",
    "AccountInfo",
    "DotdigitalClient",
    "check_host_allowed",
    "format_since",
    "is_loopback_host",
    "rows_to_csv",
]
