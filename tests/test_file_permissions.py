"""Files holding secrets are created readable by their owner only (0600): the SQLite database
file the library's engine creates, the mail and SMS outbox files; example_app logs no
address."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from flask_usercore import UserCore
from flask_usercore.migrations import upgrade

ROOT = Path(__file__).parents[1]


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_the_sqlite_file_the_library_creates_is_private(tmp_path: Path) -> None:
    database = tmp_path / "private.db"
    app = Flask("private")
    app.config.update(SECRET_KEY="test-secret-key-0123456789abcdef",
                      SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}")
    db = SQLAlchemy(app)
    UserCore(app, db=db)
    old = os.umask(0o022)
    try:
        with app.app_context():
            upgrade()
            db.engine.dispose()
    finally:
        os.umask(old)
    assert database.stat().st_size > 0 and mode(database) == 0o600


def test_a_database_in_a_missing_folder_is_sqlites_own_error(tmp_path: Path) -> None:
    """Where the file cannot be made (its folder is gone), SQLite's open says so: an
    ``OperationalError``, not the file hook's ``FileNotFoundError``."""
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    app = Flask("gone")
    app.config.update(SECRET_KEY="test-secret-key-0123456789abcdef",
                      SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'gone' / 'x.db'}")
    db = SQLAlchemy(app)
    UserCore(app, db=db)
    with (app.app_context(), pytest.raises(OperationalError, match="unable to open"),
          db.engine.connect() as connection):
        connection.execute(text("SELECT 1"))
    assert not (tmp_path / "gone").exists()


def test_an_existing_database_file_keeps_its_mode(tmp_path: Path) -> None:
    database = tmp_path / "shared.db"
    database.touch(0o640)
    database.chmod(0o640)  # the host chose it (a group that backs it up)
    app = Flask("shared")
    app.config.update(SECRET_KEY="test-secret-key-0123456789abcdef",
                      SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}")
    db = SQLAlchemy(app)
    UserCore(app, db=db)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    assert mode(database) == 0o640


_REGISTER = """
import os
os.umask(0o022)
import example_app
app = example_app.create_app({"USERCORE_RATELIMIT_AUTH": ""})
response = app.test_client().post("/v2/register", json={
    "email": "ada@example.com", "password": "correct horse battery staple 9",
    "person": {"firstName": "Ada", "lastName": "Lovelace"}})
assert response.status_code == 201, response.json
"""


def test_example_app_creates_private_files_and_logs_no_address(tmp_path: Path) -> None:
    database = tmp_path / "example.db"
    outbox = tmp_path / "outbox"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}",
           "USERCORE_MAIL_OUTBOX": str(outbox), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", _REGISTER], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    [eml] = outbox.glob("*.eml")
    assert mode(database) == 0o600 and mode(eml) == 0o600
    assert "new user" in done.stderr and "ada@example.com" not in done.stderr
