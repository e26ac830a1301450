"""The layers point one way (tooling/bench -> moments -> services -> schemas), services
never import each other, domain code imports no I/O client, and no module under
services/ or moments/ grows past 300 lines. Read from the source with `ast`: no import
of the code under test."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = ("schemas", "services", "moments", "bench", "tooling", "tests")
# What each top-level package may import of ours, besides itself.
ALLOWED = {
    "schemas": set(),
    "services": {"schemas"},
    "moments": {"services", "schemas"},
    "bench": {"moments", "services", "schemas"},
    "tooling": {"moments", "services", "schemas"},
}
IO_CLIENTS = ("aiokafka", "asyncpg", "httpx", "aiohttp", "fastapi", "starlette", "uvicorn")
MAX_LINES = 300


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def imported(path: Path) -> set[str]:
    """Every module name `path` imports, at any depth (function-level imports too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def where(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_each_layer_imports_only_the_layers_below_it(package: str) -> None:
    allowed = ALLOWED[package] | {package}
    wrong = {
        f"{where(path)} imports {name}"
        for path in modules(package)
        for name in imported(path)
        if name.split(".")[0] in OURS and name.split(".")[0] not in allowed
    }
    assert not wrong, sorted(wrong)


def test_services_never_import_each_other_only_the_plumbing() -> None:
    wrong = set()
    for path in modules("services"):
        parts = path.relative_to(ROOT / "services").parts
        own = parts[0] if len(parts) > 1 else None
        for name in imported(path):
            layers = name.split(".")
            if layers[0] == "services" and len(layers) > 1:
                if layers[1] not in (own, "plumbing") and own is not None:
                    wrong.add(f"{where(path)} imports {name}")
    assert not wrong, sorted(wrong)


def test_domain_code_imports_no_broker_database_or_web_client() -> None:
    wrong = {
        f"{where(path)} imports {name}"
        for path in sorted(ROOT.glob("services/*/domain/**/*.py"))
        + modules("moments/simulate/domain")
        for name in imported(path)
        if name.split(".")[0] in IO_CLIENTS
    }
    assert not wrong, sorted(wrong)


def test_no_module_under_services_or_moments_is_over_300_lines() -> None:
    long = {
        f"{where(path)}: {lines} lines"
        for path in modules("services") + modules("moments")
        if (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert not long, sorted(long)
