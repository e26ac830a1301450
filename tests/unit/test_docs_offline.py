"""`/docs` on ingest and actions loads nothing from outside the service, and the OpenAPI
3.0 rendering Swagger UI reads keeps every operation of the 3.1 original."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.actions.app import create_app as create_actions
from services.actions.settings import Settings as ActionsSettings
from services.ingest.app import create_app as create_ingest
from services.ingest.settings import Settings as IngestSettings
from services.plumbing.docs import as_openapi_30

DB = "postgresql://nobody@127.0.0.1:1/none"  # never connected: no lifespan runs


def actions_app() -> FastAPI:
    return create_actions(
        ActionsSettings(actions_id_secret="test-secret-of-sixteen", database_url=DB)
    )


def ingest_app() -> FastAPI:
    return create_ingest(IngestSettings(database_url=DB), ingest=object(), keys=object())  # type: ignore[arg-type]


def client_of(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service")


APPS = {"actions": actions_app, "ingest": ingest_app}


def walk(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, list):
        return [found for item in node for found in walk(item)]
    if isinstance(node, dict):
        return [node, *(found for value in node.values() for found in walk(value))]
    return []


@pytest.mark.parametrize("name", APPS)
async def test_docs_page_and_every_asset_it_names_come_from_the_service(name: str) -> None:
    async with client_of(APPS[name]()) as client:
        await check_docs_page(client)


async def check_docs_page(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200 and "swagger-ui" in page.text
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']|url: ?'([^']+)'""", page.text)
    named = [a or b for a, b in urls]
    assert "/docs/assets/swagger-ui-bundle.js" in named
    assert "/docs/assets/swagger-ui.css" in named
    assert "/docs/openapi-3.0.json" in named
    for url in named:
        assert url.startswith("/"), f"{url} is not served by the service"
        assert (await client.get(url)).status_code == 200, url
    assert "cdn" not in page.text.lower()
    assert (await client.get("/redoc")).status_code == 404


@pytest.mark.parametrize("name", APPS)
async def test_the_30_rendering_keeps_every_operation_and_has_no_31_forms(name: str) -> None:
    async with client_of(APPS[name]()) as client:
        original = (await client.get("/openapi.json")).json()
        rendered = (await client.get("/docs/openapi-3.0.json")).json()
    assert original["openapi"].startswith("3.1") and rendered["openapi"] == "3.0.3"
    assert {p: set(ops) for p, ops in rendered["paths"].items()} == {
        p: set(ops) for p, ops in original["paths"].items()
    }
    for node in walk(rendered):
        assert not isinstance(node.get("type"), list), node
        assert node != {"type": "null"}, node
        assert "const" not in node
        assert not isinstance(node.get("exclusiveMinimum"), int | float) or isinstance(
            node["exclusiveMinimum"], bool
        )


def test_null_unions_consts_examples_and_bounds_are_written_the_30_way() -> None:
    description = {
        "openapi": "3.1.0",
        "components": {
            "schemas": {
                "A": {
                    "properties": {
                        "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "N"},
                        "ref": {"anyOf": [{"$ref": "#/components/schemas/B"}, {"type": "null"}]},
                        "kind": {"const": "x", "type": "string"},
                        "size": {"type": "integer", "exclusiveMinimum": 0},
                        "tags": {"type": ["array", "null"], "items": {"type": "string"}},
                        "said": {"type": "string", "examples": ["hello", "hi"]},
                    }
                }
            }
        },
    }
    before = json.dumps(description)
    props = as_openapi_30(description)["components"]["schemas"]["A"]["properties"]
    assert json.dumps(description) == before  # the original is left as it was
    assert props["note"] == {"type": "string", "title": "N", "nullable": True}
    assert props["ref"] == {"allOf": [{"$ref": "#/components/schemas/B"}], "nullable": True}
    assert props["kind"] == {"type": "string", "enum": ["x"]}
    assert props["size"] == {"type": "integer", "minimum": 0, "exclusiveMinimum": True}
    assert props["tags"] == {"type": "array", "items": {"type": "string"}, "nullable": True}
    assert props["said"] == {"type": "string", "example": "hello"}
