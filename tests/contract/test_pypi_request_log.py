"""The request log over a real socket, with mittwald's PyPI client: the request id it sends
comes back, and the records name the operation and the caller but no secret."""

from __future__ import annotations

import logging
from http import HTTPStatus

import pytest
from mittwald_api_client import Client
from mittwald_api_client.api.user import user_get_user
from mittwald_api_client.models import DeMittwaldV1UserUser

from flask_usercore.runtime.request_log import LOGGER_NAME, JsonFormatter
from tests.conftest import PASSWORD
from tests.contract.served import Served, authenticated, log_in, register_verified


@pytest.mark.parametrize("header", ["Authorization", "x-access-token"])
def test_the_pypi_client_gets_its_request_id_back_and_one_record(
        served: Served, header: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)
    email = f"request-log.{header.lower()}@example.com"
    user_id = register_verified(served, email)
    with Client(base_url=served.base_url, httpx_args=served.httpx_args()) as public:
        login = log_in(public, email)
    client = authenticated(served, login.token, header).with_headers(
        {"X-Request-ID": f"pypi-{header}"})
    with client:
        response = user_get_user.sync_detailed("self", client=client)
    assert response.status_code == HTTPStatus.OK
    assert isinstance(response.parsed, DeMittwaldV1UserUser)
    assert response.headers["X-Request-ID"] == f"pypi-{header}"
    records = [r for r in caplog.records if r.name == LOGGER_NAME]
    mine = [r for r in records if getattr(r, "request_id", None) == f"pypi-{header}"]
    assert len(mine) == 1
    assert (mine[0].operation_id, mine[0].user_id, mine[0].credential_kind,  # type: ignore[attr-defined]
            mine[0].client_ip) == ("user-get-user", user_id, "session", "127.0.0.1")  # type: ignore[attr-defined]
    lines = "\n".join(JsonFormatter().format(r) for r in records)
    assert login.token not in lines and login.refresh_token not in lines
    assert PASSWORD not in lines
