"""docker-compose.yml agrees with the code: variables the settings read, their ports, order.

There is no Docker engine in the unit tier, so this reads the file with PyYAML (which
resolves its `<<` merges as Compose does) and checks it against the settings classes:
a misspelt variable would otherwise be ignored silently by pydantic-settings.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic_settings import BaseSettings

from services.actions.settings import Settings as ActionsSettings
from services.ingest.settings import Settings as IngestSettings
from services.plumbing.settings import DatabaseSettings, KafkaSettings, LoggingSettings
from services.signals.settings import Settings as SignalsSettings

REPO = Path(__file__).resolve().parents[2]
SERVICES: dict[str, type[BaseSettings]] = {
    "ingest": IngestSettings,
    "signals": SignalsSettings,
    "actions": ActionsSettings,
}
PORT_FIELDS = {"ingest": "ingest_port", "signals": "signals_web_port", "actions": "actions_port"}
HEALTH_PATHS = {"ingest": "/readyz", "signals": "/readyz", "actions": "/readyz"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    return loaded


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def _variables(settings: type[BaseSettings]) -> set[str]:
    # model_fields includes inherited fields; there is no env_prefix or alias in use.
    assert not settings.model_config.get("env_prefix")
    return {name.upper() for name in settings.model_fields}


def _default(settings: type[BaseSettings], field: str) -> Any:
    return settings.model_fields[field].default


def test_every_part_of_the_stack_is_a_service(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {
        "kafka",
        "postgres",
        "migrate",
        "ingest",
        "signals",
        "actions",
    }


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_environment_variables_are_settings_fields(compose: dict[str, Any], name: str) -> None:
    env = _environment(compose["services"][name])
    unknown = set(env) - _variables(SERVICES[name])
    assert not unknown, f"{name} sets variables its Settings does not read: {sorted(unknown)}"
    settings = SERVICES[name]
    if "database_url" in settings.model_fields:
        assert env["DATABASE_URL"].startswith("postgresql://")
        assert "@postgres:5432/" in env["DATABASE_URL"]
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert env["KAFKA_ENABLE_IDEMPOTENCE"] == "true"


def test_services_listen_on_all_interfaces(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert _environment(services["ingest"])["INGEST_HOST"] == "0.0.0.0"
    assert _environment(services["actions"])["ACTIONS_HOST"] == "0.0.0.0"
    assert _environment(services["signals"])["SIGNALS_WEB_HOST"] == "0.0.0.0"


def test_migrate_job_reads_only_kafka_and_database_variables(compose: dict[str, Any]) -> None:
    migrate = compose["services"]["migrate"]
    known = set().union(
        *(_variables(s) for s in (KafkaSettings, DatabaseSettings, LoggingSettings))
    )
    assert set(_environment(migrate)) <= known
    assert {"DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS"} <= set(_environment(migrate))
    command = " ".join(migrate["command"])
    assert "moments migrate" in command and "moments topics" in command
    assert migrate["restart"] == "no"


def test_ports_are_the_settings_defaults(compose: dict[str, Any]) -> None:
    services = compose["services"]
    ingest_port = _default(IngestSettings, "ingest_port")
    actions_port = _default(ActionsSettings, "actions_port")
    signals_port = _default(SignalsSettings, "signals_web_port")
    assert (ingest_port, actions_port, signals_port) == (8080, 8081, 6066)
    assert services["ingest"]["ports"] == [f"{ingest_port}:{ingest_port}"]
    assert services["actions"]["ports"] == [f"{actions_port}:{actions_port}"]
    for name, field in PORT_FIELDS.items():
        value = _environment(services[name]).get(field.upper())
        assert value in (None, str(_default(SERVICES[name], field))), name


def test_signals_runs_two_replicas_without_a_fixed_host_port(compose: dict[str, Any]) -> None:
    signals = compose["services"]["signals"]
    assert signals["deploy"]["replicas"] == 2
    assert "ports" not in signals, "two replicas cannot both bind one host port"
    assert [str(p) for p in signals["expose"]] == ["6066"]


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_services_are_health_checked_on_their_own_port(compose: dict[str, Any], name: str) -> None:
    test = compose["services"][name]["healthcheck"]["test"]
    command = " ".join(test)
    port = _default(SERVICES[name], PORT_FIELDS[name])
    assert f"http://127.0.0.1:{port}{HEALTH_PATHS[name]}" in command
    assert test[0] == "CMD"


def test_infrastructure_is_health_checked(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert "kafka-broker-api-versions.sh" in " ".join(services["kafka"]["healthcheck"]["test"])
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])


def test_start_order_waits_for_health_and_migrations(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["migrate"]["depends_on"] == {
        "kafka": {"condition": "service_healthy"},
        "postgres": {"condition": "service_healthy"},
    }
    for name, settings in SERVICES.items():
        depends = services[name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}, name
        assert depends["kafka"] == {"condition": "service_healthy"}, name
        if "database_url" in settings.model_fields:
            assert depends["postgres"] == {"condition": "service_healthy"}, name


def test_application_services_are_built_from_the_dockerfile(compose: dict[str, Any]) -> None:
    for name in ("migrate", *SERVICES):
        build = compose["services"][name]["build"]
        assert build == {"context": ".", "dockerfile": "deploy/Dockerfile"}, name
    dockerfile = (REPO / "deploy/Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim$", dockerfile, re.MULTILINE)
    assert "requirements.lock" in dockerfile
    assert re.search(r"^USER (?!root)\w+$", dockerfile, re.MULTILINE), "run as a non-root user"
    for name, module in (("ingest", "ingest"), ("signals", "signals"), ("actions", "actions")):
        assert compose["services"][name]["command"] == ["python", "-m", f"services.{module}"]


def test_kafka_is_apache_kafka_in_kraft_mode(compose: dict[str, Any]) -> None:
    kafka = compose["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    env = _environment(kafka)
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"].startswith(f"{env['KAFKA_NODE_ID']}@kafka:")
    assert "INTERNAL://kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert "ZOOKEEPER" not in " ".join(env)
    assert env["CLUSTER_ID"]


def test_postgres_password_has_no_default(compose: dict[str, Any]) -> None:
    postgres = _environment(compose["services"]["postgres"])
    assert compose["services"]["postgres"]["image"].startswith("postgres:")
    assert postgres["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    assert "${POSTGRES_PASSWORD:?" in _environment(compose["services"]["ingest"])["DATABASE_URL"]


def test_the_recommendation_id_secret_has_no_default(compose: dict[str, Any]) -> None:
    actions = _environment(compose["services"]["actions"])
    assert actions["ACTIONS_ID_SECRET"].startswith("${ACTIONS_ID_SECRET:?")


def test_dockerignore_keeps_local_state_out_of_the_image() -> None:
    ignored = (REPO / ".dockerignore").read_text().split()
    for entry in (".git", ".venv", ".moments", "tests"):
        assert entry in ignored
