"""The contract's documents, generated from the pydantic models in `schemas/`.

`python -m tooling.contract` (`make schemas`) rewrites `schemas/json/*.json` and
`schemas/asyncapi.yaml`; with `--check` it writes nothing and exits 1 listing every file
that differs from what it would write. Run it after changing a model, a topic
(`schemas/topics.py`) or a header (`schemas/headers.py`), and commit the result:
tests/unit/test_schemas_generated.py fails on drift. Three parts: `json_files` (one JSON
Schema per event type and message), `messages` and `asyncapi` (the AsyncAPI 3.0
document), `files` (stable rendering, check and write). The output is stable (sorted
JSON keys, a fixed YAML order, a trailing newline), so a diff shows only real changes.
"""

from __future__ import annotations

from typing import Literal

# The version of the public contract (CONTRACT.md), not of the package: it grows a minor
# version when something is added and would grow a major one if anything were removed.
CONTRACT_VERSION = "1.0.0"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
KAFKA_BINDING_VERSION = "0.5.0"

Mode = Literal["validation", "serialization"]
