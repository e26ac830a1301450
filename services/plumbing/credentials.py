"""How a caller presents a credential to any service: `Authorization: Bearer <token>`.

Channel systems send their API key this way (ingest), agents and operators their tokens
(actions). Parsing is the same everywhere; what a token means is each service's own.
"""

from __future__ import annotations

from services.plumbing.problems import Problem


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, if that is what it is."""
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip() or None
    return None


def credential_missing(what: str) -> Problem:
    """The 401 for a request without a bearer token: says what to send, and how."""
    return Problem(
        401,
        "Unauthorized",
        f"send Authorization: Bearer <{what}>",
        headers={"WWW-Authenticate": "Bearer"},
    )
