"""Smoke test of an installed flask-usercore wheel, run by .ci/run in a fresh venv.

Run it from outside the repository (so that ``import flask_usercore`` finds the installed
wheel, not the source tree), optionally with the wheel's path to check that it holds
``flask_usercore`` only: an app on SQLite in a temporary directory, the migrations,
registration, verification with the code from a recording mailer, login and ``GET
/v2/users/self``. Needs only the wheel's own dependencies.
"""

from __future__ import annotations

import re
import sys
import tempfile
import zipfile
from pathlib import Path

from flask import Flask
from flask_sqlalchemy import SQLAlchemy

import flask_usercore
from flask_usercore import Mail, UserCore
from flask_usercore.migrations import upgrade

PASSWORD = "Correct-Horse-Battery-Staple-42"


class RecordingMailer:
    """Keeps every mail in a list."""

    def __init__(self) -> None:
        self.sent: list[Mail] = []

    def send(self, mail: Mail) -> None:
        self.sent.append(mail)


def check_wheel(wheel: Path) -> None:
    """The wheel holds the package and its metadata, nothing else (no example_app, no tests)."""
    names = zipfile.ZipFile(wheel).namelist()
    strays = [name for name in names
              if not name.startswith(("flask_usercore/", "flask_usercore-"))]
    assert not strays, f"{wheel.name} holds more than flask_usercore: {strays}"
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names), names
    print(f"{wheel.name}: {len(names)} files, flask_usercore only")


def main(argv: list[str]) -> None:
    """Check the wheel named in ``argv`` (if any), then drive the installed package."""
    for wheel in argv:
        check_wheel(Path(wheel))
    location = Path(flask_usercore.__file__).resolve()
    repository = Path(__file__).resolve().parent.parent
    assert repository not in location.parents, f"imported the source tree: {location}"
    print(f"flask_usercore {flask_usercore.__version__} from {location.parent}")
    for resource in ("py.typed", "data/leaked-passwords.txt.xz",
                     "data/leaked-passwords.index.txt", "data/zxcvbn-dictionaries.bin",
                     "templates/usercore/mail/registration.txt", "migrations/env.py",
                     "migrations/script.py.mako", "migrations/versions/0001_initial.py"):
        assert (location.parent / resource).is_file(), f"the wheel lacks {resource}"

    with tempfile.TemporaryDirectory(prefix="usercore-smoke-") as tmp:
        db = SQLAlchemy()
        mailer = RecordingMailer()
        app = Flask("smoke", instance_path=tmp)
        app.config.update(SECRET_KEY="smoke-test-secret-0123456789abcdef-xyz",
                          SQLALCHEMY_DATABASE_URI=f"sqlite:///{Path(tmp) / 'smoke.db'}")
        db.init_app(app)
        UserCore(app, db=db, mailer=mailer)
        with app.app_context():
            upgrade()
        client = app.test_client()

        email = "smoke@example.com"
        registered = client.post("/v2/register", json={
            "email": email, "password": PASSWORD,
            "person": {"firstName": "Ada", "lastName": "Lovelace"}})
        assert registered.status_code == 201, registered.get_data(as_text=True)
        user_id = registered.get_json()["userId"]
        assert [mail.to for mail in mailer.sent] == [email], mailer.sent
        match = re.search(r"code is: (\w+)", mailer.sent[0].body)
        assert match, mailer.sent[0].body
        verified = client.post("/v2/verify-registration", json={
            "email": email, "userId": user_id, "token": match.group(1)})
        assert verified.status_code == 200, verified.get_data(as_text=True)

        login = client.post("/v2/authenticate", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200, login.get_data(as_text=True)
        token = login.get_json()["token"]
        me = client.get("/v2/users/self", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200, me.get_data(as_text=True)
        assert me.get_json()["userId"] == user_id, me.get_json()
        openapi = client.get("/v2/openapi.json").get_json()
        assert openapi["info"]["version"] == flask_usercore.__version__, openapi["info"]
        with app.app_context():
            db.engine.dispose()
    print("smoke test passed: register, verify, login, GET /v2/users/self")


if __name__ == "__main__":
    main(sys.argv[1:])
