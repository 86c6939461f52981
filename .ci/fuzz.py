"""Fuzz example_app over a socket with schemathesis, as .ci/run does.

Runs example_app (SQLite in a temporary directory, rate limits raised) on a free port of
127.0.0.1, registers and verifies a user (the code from the mail outbox) and logs it in,
registers an OAuth2 client, then runs ``schemathesis run`` twice with that user's token:
against our own ``/v2/openapi.json`` (every operation, ours beyond mittwald's included: the
OAuth2 operations with their documented parameters) and against mittwald's document
(``tests/contract/openapi-user.json``). Every other request to an OAuth2 operation carries the
real client (``.ci/fuzz_hooks.py``), so that the run reaches past ``invalid_client``. Checks:
no 5xx, responses that match the document, the documented content types. Exits non-zero when
a run finds a failure.

Usage: ``.venv/bin/python .ci/fuzz.py [--max-examples N] [--max-time SECONDS]
[--path-regex oauth2]`` (per run).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import httpx
from werkzeug.serving import make_server

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))

from example_app import create_app  # noqa: E402
from tests.api.oauth2_support import new_client  # noqa: E402

PASSWORD = "Fuzzing-Horse-Battery-Staple-42"
EMAIL = "fuzz@example.com"
CHECKS = "not_a_server_error,response_schema_conformance,content_type_conformance"
#: Operations left out, with the reason: they would end the fuzzer's own session, after which
#: every authenticated operation only answers 401 (they are tested in tests/api/).
SESSION_ENDING = ("user-logout", "user-refresh-session")
#: Left out of the run on mittwald's document: the documented deviation of
#: tests/contract/README.md (the policy is served as the JSON object mittwald's tools load,
#: the document types it as a string).
KNOWN_GAPS = ("password-validation-get-password-policy",)


def logged_in_token(base_url: str, outbox: Path) -> str:
    """Register, verify and log in a user; its access token."""
    email = EMAIL
    with httpx.Client(base_url=base_url, timeout=30) as http:
        registered = http.post("/v2/register", json={
            "email": email, "password": PASSWORD,
            "person": {"firstName": "Fuzz", "lastName": "Tester"}})
        assert registered.status_code == 201, registered.text
        mail = next(outbox.glob("*.eml")).read_text()
        code = re.search(r"code is: (\w+)", mail)
        assert code, mail
        verified = http.post("/v2/verify-registration", json={
            "email": email, "userId": registered.json()["userId"], "token": code.group(1)})
        assert verified.status_code == 200, verified.text
        login = http.post("/v2/authenticate", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        return str(login.json()["token"])


def main() -> int:
    """Serve, log in, fuzz twice; the number of failed runs as the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=10)
    parser.add_argument("--max-time", type=int, default=75, help="seconds per run")
    parser.add_argument("--path-regex", default=None,
                        help="only the operations whose path matches (e.g. oauth2)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="usercore-fuzz-") as tmp:
        outbox = Path(tmp) / "outbox"
        app = create_app({
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(tmp) / 'fuzz.db'}",
            "USERCORE_MAIL_OUTBOX": str(outbox), "USERCORE_SMS_OUTBOX": str(outbox / "sms"),
            "USERCORE_AVATAR_FOLDER": str(Path(tmp) / "avatars"),
            "SECRET_KEY": "fuzzing-secret-0123456789abcdef",
            "USERCORE_RATELIMIT_AUTH": "100000/minute", "USERCORE_SMS_RATELIMIT": "",
            "USERCORE_OAUTH2_RATELIMIT": "", "USERCORE_LOCKOUT_THRESHOLD": 0,
            "USERCORE_ARGON2_TIME_COST": 1, "USERCORE_ARGON2_MEMORY_COST": 64,
            "USERCORE_ARGON2_PARALLELISM": 1})
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base_url = f"http://127.0.0.1:{server.server_port}"
        try:
            token = logged_in_token(base_url, outbox)
            client_id, secret = new_client(app, grant_types=(
                "authorization_code", "refresh_token", "password"))
            env = {**os.environ, "USERCORE_FUZZ_CLIENT": f"{client_id}:{secret}",
                   "USERCORE_FUZZ_EMAIL": EMAIL, "USERCORE_FUZZ_PASSWORD": PASSWORD,
                   "SCHEMATHESIS_HOOKS": str(REPOSITORY / ".ci" / "fuzz_hooks.py")}
            failed = 0
            for schema, excluded in (
                    (f"{base_url}/v2/openapi.json", SESSION_ENDING),
                    (str(REPOSITORY / "tests/contract/openapi-user.json"),
                     SESSION_ENDING + KNOWN_GAPS)):
                print(f"\n---- schemathesis: {schema}", flush=True)
                exclusions = [arg for operation_id in excluded
                              for arg in ("--exclude-operation-id", operation_id)]
                if args.path_regex:
                    exclusions += ["--include-path-regex", args.path_regex]
                command = [sys.executable, "-m", "schemathesis.cli", "run", schema, *exclusions,
                           "--url", base_url, "--header", f"Authorization: Bearer {token}",
                           "--checks", CHECKS, "--max-examples", str(args.max_examples),
                           "--max-time", str(args.max_time), "--request-timeout", "30",
                           "--seed", "19", "--no-color"]
                failed += subprocess.run(command, check=False, env=env).returncode != 0
        finally:
            server.shutdown()
    return failed


if __name__ == "__main__":
    sys.exit(main())
