"""The agent's page, `/desktop`, and its ES modules and styles under `/desktop/assets/`.

Plain files from `static/` (no build step, nothing from a CDN; README "The agent's
cockpit" says why). Only the files that are there are served, by exact name.
"""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from services.plumbing.problems import Problem

router = APIRouter()
STATIC = resources.files("services.actions") / "static"
TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
# The page may run only what the stack serves: no inline script, no other origin.
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


@router.get("/desktop", response_class=HTMLResponse, summary="The agent's desktop page")
async def desktop_page() -> HTMLResponse:
    page = (STATIC / "desktop.html").read_text()
    return HTMLResponse(page, headers={"Content-Security-Policy": POLICY})


@router.get("/desktop/assets/{name}", include_in_schema=False)
async def desktop_asset(name: str) -> Response:
    assets = STATIC / "desktop"
    suffix = name[name.rfind(".") :] if "." in name else ""
    known = {entry.name for entry in assets.iterdir() if entry.is_file()}
    if name not in known or suffix not in TYPES:
        raise Problem(404, "Not found", f"no asset {name}")
    return Response(
        (assets / name).read_bytes(),
        media_type=TYPES[suffix],
        headers={"Cache-Control": "no-cache"},
    )
