"""``deps.clock`` is the one point where the services read the time: replacing its source
moves every service at once, and no module is patched."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from flask_usercore.models import CodePurpose, User, utcnow
from flask_usercore.services import authentication
from flask_usercore.services.clock import Clock
from flask_usercore.services.codes import consume_code, issue_code
from flask_usercore.services.context import ClientInfo, Deps, commit
from tests.services.conftest import SERVICE_PASSWORD

PACKAGE = Path(__file__).resolve().parents[2] / "flask_usercore"


def test_the_default_clock_gives_the_current_utc_time() -> None:
    before = utcnow()
    now = Clock()()
    assert now.utcoffset() == dt.timedelta(0)
    assert before <= now <= utcnow()


def test_replacing_the_source_moves_a_code_and_a_session_together(
        deps: Deps, make_user: Callable[..., User], monkeypatch: pytest.MonkeyPatch) -> None:
    start = utcnow() + dt.timedelta(days=3)  # far from the real time: only the clock counts
    now = start
    monkeypatch.setattr(deps.clock, "source", lambda: now)
    user = make_user()
    code = issue_code(deps, user.id, CodePurpose.PASSWORD_RESET)
    issued = authentication.authenticate(deps, user.email, SERVICE_PASSWORD, ClientInfo())
    commit(deps.session)
    assert issued.credential.expires_at == start + dt.timedelta(
        seconds=deps.config.access_token_ttl)

    now = start + dt.timedelta(seconds=deps.config.access_token_ttl - 1)
    assert authentication.resolve_token(deps, issued.token) is not None
    now = start + dt.timedelta(seconds=deps.config.access_token_ttl)
    assert authentication.resolve_token(deps, issued.token) is None  # the session expired
    now = start + dt.timedelta(seconds=deps.config.code_ttl)
    assert consume_code(deps, user.id, CodePurpose.PASSWORD_RESET, code) is None  # and the code


def test_services_and_oauth2_read_the_time_only_through_the_clock() -> None:
    readers = [path for folder in ("services", "oauth2") for path in (PACKAGE / folder).glob("*.py")
               if path.name != "clock.py" and "utcnow" in path.read_text(encoding="utf-8")]
    assert readers == []
