"""The README's configuration table names every environment variable the settings read."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic_settings import BaseSettings

from moments.stack import StackSettings
from services.actions.settings import Settings as ActionsSettings
from services.ingest.settings import Settings as IngestSettings
from services.signals.settings import Settings as SignalsSettings

README = Path(__file__).parents[2] / "README.md"
SETTINGS: list[type[BaseSettings]] = [
    IngestSettings,
    SignalsSettings,
    ActionsSettings,
    StackSettings,
]


def documented_variables() -> set[str]:
    section = README.read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])}


def test_every_setting_is_documented_in_the_readme() -> None:
    variables = {name.upper() for cls in SETTINGS for name in cls.model_fields}
    assert variables - documented_variables() == set()


def test_the_readme_documents_no_setting_that_does_not_exist() -> None:
    variables = {name.upper() for cls in SETTINGS for name in cls.model_fields}
    assert documented_variables() - variables == set()
