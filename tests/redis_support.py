"""The ``redis_url`` fixture: the Redis server of ``.ci/run`` (``USERCORE_TEST_REDIS_URL``).

Import it into a test module (``from tests.redis_support import redis_url_fixture``) to use it.
"""

from __future__ import annotations

import os

import pytest


@pytest.fixture(name="redis_url")
def redis_url_fixture() -> str:
    """The test server's URL, emptied first; the test is skipped without one."""
    url = os.environ.get("USERCORE_TEST_REDIS_URL")
    if not url:
        pytest.skip("needs Redis (set USERCORE_TEST_REDIS_URL, see .ci/run)")
    import redis

    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()
    return url
