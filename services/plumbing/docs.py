"""The OpenAPI pages, served from the stack: nothing is loaded from a CDN.

FastAPI's default `/docs` loads Swagger UI from a CDN and renders blank offline. Create
the app with `docs_url=None, redoc_url=None` and call `serve_docs(app)`: `/docs` is then
Swagger UI from the swagger-ui-bundle package (its files under `/docs/assets/`). ReDoc is
off: no installed package ships it.

That Swagger UI (4.15) reads OpenAPI 3.0 only, and FastAPI describes the API in 3.1, so
`/docs` reads `/docs/openapi-3.0.json`: the same description with the few 3.1 forms
FastAPI emits (null in a type union, `examples` lists, `const`, numeric exclusive bounds)
written the 3.0 way. `/openapi.json` stays the 3.1 original for tools that read it.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

ASSETS = "/docs/assets"
OPENAPI_30 = "/docs/openapi-3.0.json"


def serve_docs(app: FastAPI) -> None:
    """Add `/docs` (Swagger UI from the package), its assets and the 3.0 description."""
    app.mount(ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=OPENAPI_30,
            title=f"{app.title} · API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
        )

    @app.get(OPENAPI_30, include_in_schema=False)
    async def openapi_30() -> JSONResponse:
        return JSONResponse(as_openapi_30(app.openapi()))


def as_openapi_30(description: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI 3.1 `description` written as 3.0.3 (a new dict; the input is kept)."""
    converted: dict[str, Any] = _convert(description)
    converted["openapi"] = "3.0.3"
    return converted


def _convert(node: Any) -> Any:
    if isinstance(node, list):
        return [_convert(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _convert(value) for key, value in node.items()}
    for union in ("anyOf", "oneOf"):
        options = out.get(union)
        if isinstance(options, list) and {"type": "null"} in options:
            rest = [o for o in options if o != {"type": "null"}]
            out.pop(union)
            if len(rest) == 1:
                out = {**rest[0], **out} if "$ref" not in rest[0] else {"allOf": rest, **out}
            else:
                out[union] = rest
            out["nullable"] = True
    kinds = out.get("type")
    if isinstance(kinds, list):
        others = [k for k in kinds if k != "null"]
        if len(others) < len(kinds):
            out["nullable"] = True
        if len(others) == 1:
            out["type"] = others[0]
        else:
            out.pop("type")
            out["anyOf"] = [{"type": k} for k in others]
    if "const" in out:
        out["enum"] = [out.pop("const")]
    if isinstance(out.get("examples"), list) and _is_schema(out):
        examples = out.pop("examples")
        if examples:
            out.setdefault("example", examples[0])
    for bound, plain in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(out.get(bound), int | float) and not isinstance(out[bound], bool):
            out[plain] = out.pop(bound)
            out[bound] = True
    return out


def _is_schema(node: dict[str, Any]) -> bool:
    """A JSON Schema object, as opposed to a parameter or media type (where `examples` is
    a map in 3.0 too and is left alone)."""
    return any(k in node for k in ("type", "properties", "items", "$ref", "allOf", "enum"))
