"""Where a contact, list or campaign came from: typed in, imported from a file, or written by an integration.

`source` is a plain string, not a database choice, so that a new integration needs no migration: it registers its
key and label here from its own `AppConfig.ready()` (`register_source("dotdigital", "Dotdigital")`), and the grids
offer it in their *Source* filter.
"""

from __future__ import annotations

MANUAL = "manual"
IMPORT = "import"

_sources: dict[str, str] = {MANUAL: "Manual", IMPORT: "Import"}


def register_source(key: str, label: str) -> None:
    """Make `key` a known source, shown as `label` in grids and filters."""
    if not key or len(key) > 64:
        raise ValueError("A source key is 1 to 64 characters long")
    _sources[key] = label


def unregister_source(key: str) -> None:
    if key not in (MANUAL, IMPORT):
        _sources.pop(key, None)


def source_label(key: str) -> str:
    """The label of a source; an unregistered key (an integration since uninstalled) is shown as it is."""
    return _sources.get(key, key)


def source_choices() -> list[tuple[str, str]]:
    return list(_sources.items())
