"""The pages' one error handler: an error no page turned into its form again is the error
page, never Flask's bare 500 or a traceback, and nothing is written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.exc import OperationalError

from flask_usercore.errors import RateLimited
from flask_usercore.services import sessions
from tests.conftest import PASSWORD
from tests.pages.page_support import sign_in


@pytest.fixture
def signed_in(client: FlaskClient, register: Callable[..., dict[str, Any]]) -> FlaskClient:
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    return client


def test_an_unexpected_error_is_the_error_page(signed_in: FlaskClient,
                                               monkeypatch: pytest.MonkeyPatch,
                                               caplog: pytest.LogCaptureFixture) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret detail")

    monkeypatch.setattr(sessions, "list_sessions", broken)
    response = signed_in.get("/account/sessions")
    assert response.status_code == 500
    assert response.content_type.startswith("text/html")
    assert "secret detail" not in response.text
    assert 'role="alert"' in response.text
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert "secret detail" in caplog.text  # logged for the operator


def test_a_service_error_keeps_its_status_headers_and_language(
        signed_in: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    def limited(*args: Any, **kwargs: Any) -> Any:
        raise RateLimited(retry_after=7)

    monkeypatch.setattr(sessions, "list_sessions", limited)
    response = signed_in.get("/account/sessions", headers={"Accept-Language": "de"})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert '<html lang="de">' in response.text


def test_a_lost_database_is_a_503_page(signed_in: FlaskClient,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    def lost(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"),
                               connection_invalidated=True)

    monkeypatch.setattr(sessions, "list_sessions", lost)
    response = signed_in.get("/account/sessions")
    assert response.status_code == 503
    assert "Retry-After" in response.headers
