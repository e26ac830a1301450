"""`moments keys create|list|revoke` against the real database."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import asyncpg

from services.plumbing.ids import hash_secret


def moments(database: str, *args: str, command: str = "keys") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "moments", command, *args],
        env={**os.environ, "DATABASE_URL": database},
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_keys_are_issued_once_stored_hashed_listed_and_revoked(
    database: str, pool: asyncpg.Pool, run_id: str
) -> None:
    source = f"/channels/cli-{run_id}"
    created = moments(
        database, "create", "--source", source, "--types", "contact.*,message.received"
    )
    assert created.returncode == 0, created.stderr
    issued = json.loads(created.stdout)
    assert issued["types"] == ["contact.*", "message.received"]
    assert "not shown again" in created.stderr
    row = await pool.fetchrow(
        "select key_hash, source_prefix from api_keys where id = $1", issued["id"]
    )
    assert row["key_hash"] == hash_secret(issued["key"]) != issued["key"]
    assert row["source_prefix"] == source

    listed = moments(database, "list")
    line = next(x for x in listed.stdout.splitlines() if x.startswith(issued["id"]))
    assert source in line and "active" in line
    assert issued["key"] not in listed.stdout

    assert moments(database, "revoke", issued["id"]).returncode == 0
    line = next(
        x for x in moments(database, "list").stdout.splitlines() if x.startswith(issued["id"])
    )
    assert "revoked" in line
    again = moments(database, "revoke", issued["id"])
    assert again.returncode == 1 and "no active key" in again.stderr

    refused = moments(database, "create", "--source", "channels-without-slash", "--types", "*")
    assert refused.returncode == 2 and "URI-reference" in refused.stderr


async def test_operator_tokens_are_issued_once_and_stored_hashed(
    database: str, pool: asyncpg.Pool, run_id: str
) -> None:
    created = moments(database, "create", "--id", f"op-{run_id}", command="operators")
    assert created.returncode == 0, created.stderr
    issued = json.loads(created.stdout)
    assert issued["token"].startswith("smo_") and "not shown again" in created.stderr
    stored = await pool.fetchval("select token_hash from operators where id = $1", issued["id"])
    assert stored == hash_secret(issued["token"]) != issued["token"]


async def test_agents_are_created_listed_without_tokens_and_revoked(
    database: str, pool: asyncpg.Pool, run_id: str
) -> None:
    agent = f"agent-{run_id}"
    created = moments(
        database, "create", "--id", agent, "--queues", "care,retention", command="agents"
    )
    assert created.returncode == 0, created.stderr
    token = json.loads(created.stdout)["token"]
    listed = moments(database, "list", command="agents")
    line = next(x for x in listed.stdout.splitlines() if x.startswith(agent))
    assert "care,retention" in line and "active" in line and token not in listed.stdout

    revoked = moments(database, "revoke", agent, command="agents")
    again = moments(database, "revoke", agent, command="agents")
    after = moments(database, "list", command="agents")

    assert revoked.returncode == 0 and again.returncode == 1
    assert "revoked" in next(x for x in after.stdout.splitlines() if x.startswith(agent))
    assert await pool.fetchval("select revoked_at from agents where id = $1", agent) is not None
