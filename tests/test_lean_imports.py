"""Lean workers: ``import flask_usercore`` and starting the example app load no library that
only some operations need (issue 19: "build nothing at import that a request may not need").

Each gunicorn worker imports the package and builds the app; what it imports there, every
worker holds for its whole life. The heavy libraries below are imported by the operations that
use them (avatars, MFA set-up, phone, OAuth2, SSH keys, migrations, ...), on first use.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Imported only by the operations that need them (a few MiB each; see benchmarks/README.md).
HEAVY = (
    "PIL",  # avatar uploads
    "segno",  # the TOTP QR code of the MFA set-up
    "phonenumbers",  # phone operations
    "zxcvbn",  # the password policy (register, change, reset)
    "alembic",  # migrations: a database at head is recognised without Alembic
    "mako",
    "pygments",
    "apispec",  # our OpenAPI document
    "pycountry",  # countryCode
    "authlib",  # the OAuth2 operations and pages
    "joserfc",
    "cryptography",  # TOTP seeds, SSH keys, OAuth2 JWTs
    "ua_parser",  # session listing
    "sqlalchemy.dialects.postgresql",  # on SQLite
    "flask_babel",  # the first translated message (an error, a page, a mail)
    "babel",
)

_START = """
import json, sys
import flask_usercore
import example_app
example_app.create_app()
print(json.dumps(sorted(sys.modules)))
"""


def _run(code: str, database: Path) -> str:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}",
           "USERCORE_MAIL_OUTBOX": str(database.parent / "outbox"),
           "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], cwd=database.parent, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_starting_the_example_app_imports_no_heavy_library(tmp_path: Path) -> None:
    database = tmp_path / "lean.db"
    _run("import example_app; example_app.create_app()", database)  # migrates to head
    loaded = set(json.loads(_run(_START, database).splitlines()[-1]))
    heavy = [name for name in HEAVY
             if name in loaded or any(m.startswith(name + ".") for m in loaded)]
    assert heavy == []


def test_the_fast_head_check_agrees_with_alembic() -> None:
    from alembic.script import ScriptDirectory

    from flask_usercore.migrations import SCRIPT_LOCATION, shipped_heads

    assert shipped_heads() == frozenset(ScriptDirectory(str(SCRIPT_LOCATION)).get_heads())
