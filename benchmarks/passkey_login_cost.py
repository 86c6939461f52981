"""A passkey sign-in beside a password login, measured in-process (no HTTP).

    python benchmarks/passkey_login_cost.py              # example_app's SQLite (WAL) in a temp dir
    DATABASE_URL=postgresql+psycopg://... python benchmarks/passkey_login_cost.py

Through the Flask test client of ``example_app`` (default, OWASP argon2 parameters), one
user with one passkey (the tests' software authenticator, ES256): the medians of
``POST /v2/authenticate`` (a password login: one argon2 verify), of
``POST /v2/authenticate-passkey/options`` and of ``POST /v2/authenticate-passkey`` (no
argon2: a challenge used once, one ECDSA P-256 verify, the passkey's counters, the session),
``--rounds`` times each. The authenticator's signing is not in the figure (it is done
between the calls).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

#: example_app and the tests' authenticator live in the repository.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ORIGIN = "http://localhost:5000"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=60)
    args = parser.parse_args()
    os.environ.setdefault("EXAMPLE_USERCORE_WEBAUTHN_RP_ID", "localhost")
    os.environ.setdefault("EXAMPLE_USERCORE_WEBAUTHN_ORIGINS", f'["{ORIGIN}"]')
    from login_cost import PASSWORD, app_with_user, delete_user

    from example_app import db
    from tests.passkey_authenticator import SoftAuthenticator

    app, url, email, user_id, _ = app_with_user("passkey-login-cost")
    client = app.test_client()
    body = {"email": email, "password": PASSWORD}
    token = client.post("/v2/authenticate", json=body).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    authenticator = SoftAuthenticator(ORIGIN)
    options = client.post("/v2/users/self/passkeys/registration-options", headers=headers)
    created = client.post("/v2/users/self/passkeys", headers=headers, json={
        "credential": authenticator.create(options.json["publicKey"])})
    assert created.status_code == 201, created.json

    password: list[float] = []
    asked: list[float] = []
    passkey: list[float] = []
    for _ in range(args.rounds):
        start = time.perf_counter()
        assert client.post("/v2/authenticate", json=body).status_code == 200
        password.append(time.perf_counter() - start)
        start = time.perf_counter()
        answer = client.post("/v2/authenticate-passkey/options", json={})
        asked.append(time.perf_counter() - start)
        assertion = authenticator.get(answer.json["publicKey"])
        start = time.perf_counter()
        signed_in = client.post("/v2/authenticate-passkey", json={"credential": assertion})
        passkey.append(time.perf_counter() - start)
        assert signed_in.status_code == 200, signed_in.json
    print(f"database: {url.split(':', 1)[0]}; rounds: {args.rounds}")
    for name, times in (("POST /v2/authenticate (password)", password),
                        ("POST /v2/authenticate-passkey/options", asked),
                        ("POST /v2/authenticate-passkey", passkey)):
        print(f"{name:40} {statistics.median(times) * 1000:7.2f} ms")
    both = statistics.median(asked) + statistics.median(passkey)
    print(f"passkey sign-in, both calls: {both * 1000:.2f} ms")
    delete_user(app, db, user_id)


if __name__ == "__main__":
    main()
