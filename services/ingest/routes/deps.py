"""What ingest's routes depend on: the front door's adapters, the caller's key, the body.

The adapters live on `app.state.runtime` (set by `plumbing.http.service_app`): the real
`Runtime`, or any object with the same `settings`, `ingest` and `keys` (tests pass
fakes through `app.create_app`), so routers stay importable and testable in-process.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Protocol

from fastapi import Depends, Request

from services.ingest.domain.access import ApiKey
from services.ingest.handlers import Ingest, KeyFinder
from services.ingest.settings import Settings
from services.plumbing.credentials import bearer_token, credential_missing
from services.plumbing.problems import MAY_HAVE_BEEN_STORED, Problem, not_ready


class FrontDoor(Protocol):
    """What the routes use of the runtime; `keys` is None until PostgreSQL is there."""

    settings: Settings
    ingest: Ingest
    keys: KeyFinder | None


def front_door(request: Request) -> FrontDoor:
    door: FrontDoor = request.app.state.runtime
    return door


FrontDoorDep = Annotated[FrontDoor, Depends(front_door)]


async def authenticated_key(request: Request, door: FrontDoor) -> ApiKey:
    """The API key of `Authorization: Bearer <key>`, or a 401 (503 before PostgreSQL)."""
    secret = bearer_token(request.headers.get("authorization"))
    if secret is None:
        raise credential_missing("source API key")
    if door.keys is None:
        raise not_ready("key store not connected")
    key = await door.keys.find(secret)
    if key is None:
        raise Problem(
            401,
            "Unauthorized",
            "unknown or revoked API key",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    return key


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it is over `limit` bytes (declared or sent)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise Problem(413, "Payload too large", f"the body is over the {limit}-byte limit")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Problem(413, "Payload too large", f"the body is over the {limit}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


@asynccontextmanager
async def deadline(seconds: float) -> AsyncIterator[None]:
    """The whole request within `seconds`, or a 503 saying it may have been stored."""
    try:
        async with asyncio.timeout(seconds):
            yield
    except TimeoutError:
        raise Problem(
            503,
            "Timed out",
            f"the request took longer than {seconds}s; {MAY_HAVE_BEEN_STORED}",
            headers={"Retry-After": "2"},
        ) from None
