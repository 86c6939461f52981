"""The account pages' tests: apps with the pages on."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(pages=True)
