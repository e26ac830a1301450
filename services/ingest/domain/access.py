"""Who may send what: an API key may publish only its allowed types under its own source.

Pure rules over `ApiKey`; the key store that finds keys lives in adapters.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase


@dataclass(frozen=True)
class ApiKey:
    id: str
    source_prefix: str
    allowed_types: tuple[str, ...]


def source_allowed(key: ApiKey, source: str) -> bool:
    prefix = key.source_prefix.rstrip("/")
    return source == prefix or source.startswith(prefix + "/")


def type_allowed(key: ApiKey, event_type: str) -> bool:
    return any(fnmatchcase(event_type, pattern) for pattern in key.allowed_types)


def why_forbidden(key: ApiKey, source: str, event_type: str) -> tuple[str, str] | None:
    """(field, reason) when the key may not publish this event, else None."""
    if not source_allowed(key, source):
        return "source", f"this key may publish only under {key.source_prefix!r}"
    if not type_allowed(key, event_type):
        allowed = ", ".join(key.allowed_types)
        return "type", f"this key may publish only {allowed}"
    return None
