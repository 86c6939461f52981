"""The ``served`` fixture: example_app over a real socket, one per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.contract.served import Served, serve


@pytest.fixture(scope="module")
def served(database_url: str, _schema: None,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serve(database_url, tmp_path_factory.mktemp("outbox")) as running:
        yield running
