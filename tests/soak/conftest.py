"""The soak runs on the fault tier's fixtures: its own broker, database, topics and ports."""

from tests.faults.conftest import (  # noqa: F401
    api_key,
    broker,
    database,
    pool,
    run_id,
    service_env,
    services,
    shared_postgres,
    topics,
)
