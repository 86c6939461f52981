"""The fixtures of ``flask_usercore.testing`` for this folder's tests, on an app of the test
suite (a host registers the plugin with ``pytest_plugins = ["flask_usercore.testing"]`` in
its top-level ``conftest.py``; ``test_testing_doc.py`` runs a host's tests that way)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from flask_usercore.testing import (  # noqa: F401 (fixtures, registered by the import)
    RecordingMailer,
    RecordingSmsSender,
    usercore_app,
    usercore_client,
    usercore_logged_in_client,
    usercore_login,
    usercore_mail,
    usercore_make_user,
    usercore_sms,
    usercore_user,
)


@pytest.fixture(params=["files", "recording"])
def app(request: pytest.FixtureRequest, make_app: Callable[..., Flask],
        tmp_path: Path) -> Flask:
    """An app whose mail and SMS the outboxes read: from the outbox folders (no ``mailer=``,
    as a host's test app usually is) or from recording hooks."""
    if request.param == "files":
        return make_app({"USERCORE_MAIL_OUTBOX": str(tmp_path / "mail"),
                         "USERCORE_SMS_OUTBOX": str(tmp_path / "sms")}, mailer=None)
    return make_app(mailer=RecordingMailer(), sms_sender=RecordingSmsSender())
