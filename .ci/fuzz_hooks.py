"""Schemathesis hooks of .ci/fuzz.py (``SCHEMATHESIS_HOOKS``): every other request to an OAuth2
operation of our document carries the real client that fuzz.py registered (its id and secret
in ``USERCORE_FUZZ_CLIENT``, ``id:secret``) and a token request the fuzzing user's password
grant, so that the run reaches past ``invalid_client`` (tests/api/oauth2_support.py)."""

from __future__ import annotations

import itertools
import os
import sys
from pathlib import Path
from typing import Any

import schemathesis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.api.oauth2_support import with_real_client

_TURN = itertools.count()


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """Swap the real client into every second case of an OAuth2 operation."""
    client = os.environ.get("USERCORE_FUZZ_CLIENT")
    if not client or "/oauth2/" not in case.operation.path or next(_TURN) % 2:
        return
    client_id, _, secret = client.partition(":")
    with_real_client(case, client_id, secret, os.environ["USERCORE_FUZZ_EMAIL"],
                     os.environ["USERCORE_FUZZ_PASSWORD"])
