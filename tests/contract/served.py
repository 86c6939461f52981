"""example_app served over a real socket for the PyPI client tests, and helpers to drive it.

The example app runs in a werkzeug server thread on 127.0.0.1 (a free port); mails land as
``.eml`` files in a temporary outbox, where codes are read from. Every response the client
receives is checked against mittwald's OpenAPI document (an httpx event hook). The ``served``
fixture (``tests/contract/conftest.py``) gives one server per test module.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from http import HTTPStatus
from pathlib import Path
from typing import Any

import httpx
from mittwald_api_client import AuthenticatedClient, Client
from mittwald_api_client.api.user import user_authenticate
from mittwald_api_client.models import UserAuthenticateBody, UserAuthenticateResponse200
from sqlalchemy import delete
from werkzeug.serving import make_server

from example_app import create_app, db
from flask_usercore.models import Base
from tests.conftest import FAST_ARGON2, PASSWORD
from tests.contract.validation import httpx_hook


@dataclass
class Served:
    """The running example app: where it listens and where its mails go."""

    base_url: str
    outbox: Path
    sent: list[httpx.Request] = field(default_factory=list)

    def httpx_args(self) -> dict[str, Any]:
        """Check every response against the document and remember every request sent."""
        return {"event_hooks": {"request": [self.sent.append], "response": [httpx_hook]}}

    def mails_to(self, email: str) -> list[EmailMessage]:
        """Every mail sent to ``email``, oldest first."""
        found = []
        for path in sorted(self.outbox.glob("*.eml")):
            mail = BytesParser(policy=policy.default, _class=EmailMessage).parsebytes(
                path.read_bytes())
            if mail["To"] == email:
                found.append(mail)
        return found

    def code_for(self, email: str, pattern: str = r"code is: (\w+)") -> str:
        """The code (``pattern``'s group 1) of the newest mail to ``email`` that has one."""
        for mail in reversed(self.mails_to(email)):
            match = re.search(pattern, mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
                              if mail.is_multipart() else mail.get_content())
            if match:
                return match.group(1)
        raise AssertionError(f"no mail to {email} matches {pattern!r}")


def free_port() -> int:
    """A TCP port of 127.0.0.1 free now (for a server whose URL must be known before it
    starts: a WebAuthn origin)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serve(database_url: str, outbox: Path, *, port: int = 0, url_host: str = "127.0.0.1",
          **config: Any) -> Iterator[Served]:
    """Run example_app on ``port`` (default: a free one) of 127.0.0.1 until the block ends;
    then empty the tables it wrote. ``url_host``: the host of its ``base_url``
    (``localhost`` for a WebAuthn relying party)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "USERCORE_MAIL_OUTBOX": str(outbox),
                      "SECRET_KEY": "contract-test-secret-0123456789abcdef", **FAST_ARGON2,
                      **config})
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="example_app", daemon=True)
    thread.start()
    try:
        yield Served(f"http://{url_host}:{server.server_port}", outbox)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        # the buffered last-use times now: the background flusher must not open a connection
        # on this engine after it was disposed (as in tests/conftest.py make_app)
        app.extensions["usercore"].deps.last_access.close()
        with app.app_context():
            for table in reversed(Base.metadata.sorted_tables):
                db.session.execute(delete(table))
            db.session.commit()
            db.engine.dispose()


def authenticated(served: Served, token: str, header: str) -> AuthenticatedClient:
    """The client as a user would build it: Bearer by default, or the bare token in a header."""
    if header == "Authorization":
        return AuthenticatedClient(base_url=served.base_url, token=token,
                                   httpx_args=served.httpx_args())
    return AuthenticatedClient(base_url=served.base_url, token=token, auth_header_name=header,
                               prefix="", httpx_args=served.httpx_args())


def log_in(public: Client, email: str, password: str = PASSWORD) -> UserAuthenticateResponse200:
    response = user_authenticate.sync_detailed(
        client=public, body=UserAuthenticateBody(email=email, password=password))
    assert response.status_code == HTTPStatus.OK, response.content
    assert isinstance(response.parsed, UserAuthenticateResponse200)
    return response.parsed




def register_verified(served: Served, email: str, password: str = PASSWORD) -> str:
    """Register ``email`` through the API and verify it with the mailed code; its userId."""
    with httpx.Client(base_url=served.base_url, **served.httpx_args()) as http:
        registered = http.post("/v2/register", json={
            "email": email, "password": password,
            "person": {"firstName": "Ada", "lastName": "Lovelace"}})
        assert registered.status_code == HTTPStatus.CREATED, registered.text
        user_id: str = registered.json()["userId"]
        verified = http.post("/v2/verify-registration", json={
            "email": email, "userId": user_id, "token": served.code_for(email)})
        assert verified.status_code == HTTPStatus.OK, verified.text
    return user_id
