"""The generated schema files: in step with the models, valid AsyncAPI 3.0, true to the code.

Drift: the checked-in `schemas/json/*.json` and `schemas/asyncapi.yaml` must be exactly
what `python -m tooling.contract` writes now. Validity: `asyncapi.yaml` is checked with
`jsonschema` against the official AsyncAPI 3.0.0 JSON Schema from npm `@asyncapi/specs`,
which `make test-unit` installs into `.moments/npm` (no PyPI package ships it). Truth:
the headers and payloads the services really put on Kafka validate against the document.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from referencing import Registry
from referencing.jsonschema import DRAFT7

from schemas.events import EVENT_DATA_MODELS, FieldProblem, parse_event
from schemas.headers import DLQ_PATHS
from schemas.recommendations import (
    Action,
    ActionChannel,
    Outcome,
    OutcomeKind,
    Recommendation,
    SignalRef,
    Why,
)
from schemas.signals import CustomerSnapshot, EventRef, Signal, SignalType
from schemas.topics import Topics
from services.ingest.adapters.publisher import to_kafka_message
from services.plumbing.kafka import dead_letter_headers
from services.plumbing.metrics import OpsReporter
from tooling.contract import files as generate

REPO = Path(__file__).resolve().parents[2]
OFFICIAL_SCHEMA = REPO / ".moments/npm/node_modules/@asyncapi/specs/schemas/3.0.0.json"
DOCUMENT_URI = "urn:small-moments:asyncapi"
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((generate.ROOT / generate.ASYNCAPI_FILE).read_text())
    return loaded


@pytest.fixture(scope="module")
def official_schema() -> dict[str, Any]:
    if not OFFICIAL_SCHEMA.is_file():
        pytest.fail(
            f"The official AsyncAPI 3.0.0 JSON Schema is missing ({OFFICIAL_SCHEMA}). It comes "
            "from the npm package @asyncapi/specs: run "
            "`make asyncapi-specs` (`make test-unit` runs it with the npm in .venv).",
            pytrace=False,
        )
    loaded: dict[str, Any] = json.loads(OFFICIAL_SCHEMA.read_text())
    return loaded


def _errors(schema: dict[str, Any], instance: Any) -> list[str]:
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message[:300]}"
        for error in validator.iter_errors(instance)
    ]


def _part(document: dict[str, Any], pointer: str) -> jsonschema.protocols.Validator:
    """A validator for the schema at `pointer` in the AsyncAPI document, whose `$ref`s
    resolve against the whole document, as AsyncAPI tools resolve them."""
    registry: Registry[Any] = Registry().with_resource(
        DOCUMENT_URI, DRAFT7.create_resource(document)
    )
    return jsonschema.Draft7Validator(
        {"$ref": f"{DOCUMENT_URI}#{pointer}"},
        registry=registry,
        format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER,
    )


def _valid(document: dict[str, Any], pointer: str, instance: Any) -> None:
    messages = [e.message for e in _part(document, pointer).iter_errors(instance)]
    assert messages == [], f"{pointer}: {messages}"


# --- drift ---------------------------------------------------------------------------


def test_checked_in_files_are_what_the_generator_writes_now() -> None:
    problems = generate.check()
    assert problems == [], (
        "schemas/ is out of date; run `make schemas` and commit the result:\n" + "\n".join(problems)
    )


def test_generator_writes_one_json_schema_per_event_type_and_message() -> None:
    names = set(generate.json_schemas())
    assert {f"{t}.data.json" for t in EVENT_DATA_MODELS} <= names
    assert {
        "cloudevent.json",
        "signal.json",
        "recommendation.json",
        "outcome.json",
        "outcome-request.json",
    } <= names
    contact_started = json.loads((generate.ROOT / "json/contact.started.data.json").read_text())
    assert contact_started["required"] == ["channel"]
    assert contact_started["additionalProperties"] is False


def test_check_flag_lists_changed_missing_and_stale_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate.write(tmp_path)
    assert generate.main(["--check", "--root", str(tmp_path)]) == 0

    (tmp_path / "json/signal.json").write_text("{}\n")
    (tmp_path / "json/outcome.json").unlink()
    (tmp_path / "json/old.type.data.json").write_text("{}\n")
    capsys.readouterr()
    assert generate.main(["--check", "--root", str(tmp_path)]) == 1
    report = capsys.readouterr().err
    assert "schemas/json/signal.json: differs" in report
    assert "schemas/json/outcome.json: missing" in report
    assert "schemas/json/old.type.data.json: no longer generated" in report
    assert "asyncapi.yaml" not in report

    generate.write(tmp_path)
    assert generate.check(tmp_path) == []
    assert not (tmp_path / "json/old.type.data.json").exists()


def test_output_is_stable_and_ends_with_one_newline() -> None:
    first, second = generate.render(), generate.render()
    assert first == second
    for name, text in first.items():
        assert text.endswith("\n") and not text.endswith("\n\n"), name
    assert "&id" not in first[generate.ASYNCAPI_FILE], "YAML anchors make diffs hard to read"


# --- AsyncAPI validity -----------------------------------------------------------------


def test_asyncapi_document_is_valid_against_the_official_schema(
    document: dict[str, Any], official_schema: dict[str, Any]
) -> None:
    assert document["asyncapi"] == "3.0.0"
    assert _errors(official_schema, document) == []


def test_official_schema_check_catches_a_broken_document(
    document: dict[str, Any], official_schema: dict[str, Any]
) -> None:
    # Guards against a validator that passes everything (a wrong draft, an unresolved $id).
    broken = json.loads(json.dumps(document))
    broken["operations"]["ingest.sendInteractions"]["action"] = "publish"  # AsyncAPI 2 word
    broken["channels"]["signals"]["bindings"]["kafka"]["partitionCount"] = 6  # not a field
    errors = _errors(official_schema, broken)
    assert any(e.startswith("operations/ingest.sendInteractions") for e in errors), errors
    assert any(e.startswith("channels/signals") for e in errors), errors


def test_every_local_reference_resolves(document: dict[str, Any]) -> None:
    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
            return found + [r for value in node.values() for r in refs(value)]
        if isinstance(node, list):
            return [r for value in node for r in refs(value)]
        return []

    all_refs = refs(document)
    assert all_refs
    for ref in all_refs:
        assert ref.startswith("#/"), ref
        target: Any = document
        for part in ref[2:].split("/"):
            assert isinstance(target, dict) and part in target, f"{ref} does not resolve"
            target = target[part]


def test_every_topic_is_a_channel_used_by_an_operation(document: dict[str, Any]) -> None:
    addresses = {spec["address"]: name for name, spec in document["channels"].items()}
    assert sorted(addresses) == sorted(Topics().all())
    used = {
        op["channel"]["$ref"].removeprefix("#/channels/") for op in document["operations"].values()
    }
    assert used == set(document["channels"])
    senders = {
        op["channel"]["$ref"].removeprefix("#/channels/")
        for op in document["operations"].values()
        if op["action"] == "send"
    }
    # The platform publishes everything except what channel systems put on interactions.raw.
    assert senders == set(document["channels"]) - {"interactions.raw"}


def test_customer_keyed_topics_declare_the_key(document: dict[str, Any]) -> None:
    messages = document["components"]["messages"]
    for name in ("interaction.contact.started", "signal", "recommendation", "outcome"):
        key = messages[name]["bindings"]["kafka"]["key"]
        assert key["type"] == "string" and "customer id" in key["description"], name
    assert "service name" in messages["opsSnapshot"]["bindings"]["kafka"]["key"]["description"]


# --- the document says what the code does ------------------------------------------------


def _decoded(headers: dict[str, bytes] | list[tuple[str, bytes]]) -> dict[str, str]:
    items = headers.items() if isinstance(headers, dict) else headers
    return {name: value.decode() for name, value in items}


def test_interactions_messages_match_what_ingest_publishes(document: dict[str, Any]) -> None:
    event = parse_event(
        {
            "specversion": "1.0",
            "id": "evt-1",
            "source": "/channels/telephony/ivr-eu",
            "type": "complaint.filed",
            "subject": "cust-42",
            "time": "2026-11-23T09:30:00Z",
            "data": {"channel": "voice", "category": "billing", "severity": "high"},
            "tenant": "eu1",
        }
    )
    message = to_kafka_message(event, ingested_at_ms=1_795_000_000_000)
    base = "/components/messages/interaction.complaint.filed"
    headers = _decoded(message.headers)
    _valid(document, f"{base}/headers", headers)
    _valid(document, f"{base}/payload", json.loads(message.value))
    _valid(document, f"{base}/bindings/kafka/key", message.key)
    assert message.key == "cust-42"

    wrong_type = {**headers, "ce_type": "contact.started"}
    assert list(_part(document, f"{base}/headers").iter_errors(wrong_type))
    missing_field = {"channel": "voice"}
    assert list(_part(document, f"{base}/payload").iter_errors(missing_field))


def test_dead_letter_headers_match_the_dlq_message(document: dict[str, Any]) -> None:
    problems = [FieldProblem(field="data.channel", reason="Field required")]
    for path in DLQ_PATHS:
        headers = _decoded(dead_letter_headers([("ce_id", b"evt-1")], problems, path))
        _valid(document, "/components/messages/deadLetter/headers", headers)
        reasons = json.loads(headers["dlq_reason"])
        for reason in reasons:
            _valid(document, "/components/schemas/FieldProblem", reason)
        assert reasons == [{"field": "data.channel", "reason": "Field required"}]
    unknown_path = {**headers, "dlq_path": "elsewhere"}
    assert list(
        _part(document, "/components/messages/deadLetter/headers").iter_errors(unknown_path)
    )


def test_ops_snapshot_matches_what_the_reporter_sends(document: dict[str, Any]) -> None:
    def no_producer() -> Any:
        raise AssertionError("message() must not need the producer")

    body = OpsReporter(no_producer, "ops.metrics", "ingest", 10.0).message()
    _valid(document, "/components/messages/opsSnapshot/payload", json.loads(json.dumps(body)))
    assert body["service"] == "ingest" and body["instance"]


def test_signal_recommendation_and_outcome_payloads_match_the_models(
    document: dict[str, Any],
) -> None:
    signal = Signal(
        id="sig-1",
        type=SignalType.complaint,
        customer_id="cust-42",
        strength=0.8,
        reasons=["Complained about billing"],
        evidence=[EventRef(source="/channels/crm", id="evt-1", type="complaint.filed", time=NOW)],
        details={"severity": "high", "count": 2},
        customer=CustomerSnapshot(name="Ada", vulnerable=True),
        occurred_at=NOW,
        detected_at=NOW,
    )
    recommendation = Recommendation(
        id="rec-1",
        customer_id="cust-42",
        action=Action(code="service.apologise", title="Apologise", script="Say sorry."),
        why=Why(signals=[SignalRef(id="sig-1", type=SignalType.complaint)], reasons=["x"]),
        priority=80,
        channel=ActionChannel.desktop,
        queue="care",
        created_at=NOW,
        expires_at=NOW,
    )
    outcome = Outcome(
        id="out-1",
        recommendation_id="rec-1",
        customer_id="cust-42",
        action_code="service.apologise",
        outcome=OutcomeKind.accepted,
        recorded_at=NOW,
    )
    for message, model in (
        ("signal", signal),
        ("recommendation", recommendation),
        ("outcome", outcome),
    ):
        _valid(
            document, f"/components/messages/{message}/payload", json.loads(model.model_dump_json())
        )
    _valid(
        document,
        "/components/messages/recommendation/headers",
        {"moments_seq": "17", "moments_decided_at": "1795000000000"},
    )
    assert list(
        _part(document, "/components/messages/recommendation/payload").iter_errors(
            {**json.loads(recommendation.model_dump_json()), "priority": 101}
        )
    )
