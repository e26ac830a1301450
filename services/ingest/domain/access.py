"""Who may send what: an API key may publish only its allowed types under its own source.

Pure rules over `ApiKey` (services/plumbing/api_keys.py, with the key store that finds
keys, which actions reads too).
"""

from __future__ import annotations

from urllib.parse import unquote

from services.plumbing.api_keys import ApiKey, type_allowed


def has_dot_segments(source: str) -> bool:
    """True when the source, percent-decoded, climbs or names its own directory:
    `/channels/telephony/../billing` must not pass as a telephony source."""
    decoded = unquote(unquote(source)).replace("\\", "/")
    return any(segment in (".", "..") for segment in decoded.split("/"))


def source_allowed(key: ApiKey, source: str) -> bool:
    if has_dot_segments(source):
        return False
    prefix = key.source_prefix.rstrip("/")
    return source == prefix or source.startswith(prefix + "/")


def why_forbidden(key: ApiKey, source: str, event_type: str) -> tuple[str, str] | None:
    """(field, reason) when the key may not publish this event, else None."""
    if has_dot_segments(source):
        return "source", "'.' and '..' segments are not allowed in a source"
    if not source_allowed(key, source):
        return "source", f"this key may publish only under {key.source_prefix!r}"
    if not type_allowed(key, event_type):
        allowed = ", ".join(key.allowed_types)
        return "type", f"this key may publish only {allowed}"
    return None
