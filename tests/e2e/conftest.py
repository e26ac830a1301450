"""One stack for the end-to-end tier: `moments run --no-demo` as a user starts it, on
free ports and a temporary MOMENTS_HOME (tests/e2e/stack.py `launched`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.stack import RunningStack, launched


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    yield from launched(tmp_path_factory.mktemp("moments-home"), "--no-demo")
