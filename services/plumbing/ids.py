"""Stable ids: the same inputs always give the same id, so repeats can be recognised."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def stable_id(prefix: str, *parts: str) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]
    return f"{prefix}_{digest}"


def keyed_id(secret: str, prefix: str, *parts: str) -> str:
    """A stable id that only holders of `secret` can compute from its parts (HMAC-SHA256,
    96 bits): what a recommendation id is, so nobody can derive one from public fields."""
    digest = hmac.new(secret.encode(), "\x1f".join(parts).encode(), hashlib.sha256)
    return f"{prefix}_{digest.hexdigest()[:24]}"


def secret_token(prefix: str) -> str:
    """A new high-entropy secret (API key or agent token)."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def hash_secret(secret: str) -> str:
    """SHA-256 of a secret. The secrets are 256-bit random, so no slow KDF is needed."""
    return hashlib.sha256(secret.encode()).hexdigest()
