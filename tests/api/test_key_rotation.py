"""Changing the secret key: what was made under the old one keeps working with a fallback,
and without one an MFA check answers 400, never 500.

Two apps share the database: the first runs with the old key (registration code mailed,
TOTP seed encrypted under it), the second with the new key.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pyotp
from flask import Flask

from flask_usercore.models import RecoveryCode
from flask_usercore.security.codes import hash_code
from flask_usercore.services.mfa import RECOVERY_PURPOSE
from tests.conftest import PASSWORD, Mailbox, enable_mfa

OLD = "old-secret-key-0123456789abcdef"
NEW = "new-secret-key-0123456789abcdef"
EMAIL = "ada@example.com"
BODY = {"email": EMAIL, "password": PASSWORD, "person": {"firstName": "Ada", "lastName": "L"}}


def register(app: Flask) -> str:
    response = app.test_client().post("/v2/register", json=BODY)
    assert response.status_code == 201, response.json
    user_id: str = response.json["userId"]
    return user_id


def verify(app: Flask, user_id: str, code: str) -> int:
    response = app.test_client().post("/v2/verify-registration",
                                      json={"email": EMAIL, "userId": user_id, "token": code})
    return response.status_code


def signed_in_with_mfa(app: Flask, mailbox: Mailbox) -> tuple[dict[str, str], str, str]:
    """Register, verify, log in and turn MFA on, all under ``app``'s key."""
    user_id = register(app)
    assert verify(app, user_id, mailbox.last_code(EMAIL)) == 200
    login = app.test_client().post("/v2/authenticate", json={"email": EMAIL,
                                                             "password": PASSWORD})
    assert login.status_code == 200
    secret = enable_mfa(app, user_id)
    return {"Authorization": f"Bearer {login.json['token']}"}, user_id, secret


def delete(app: Flask, headers: dict[str, str], code: str) -> Any:
    return app.test_client().delete("/v2/users/self", headers=headers,
                                    json={"password": PASSWORD, "multiFactorCode": code})


def test_registration_code_of_the_old_key_verifies_with_flask_fallbacks(
        make_app: Callable[..., Flask], mailbox: Mailbox) -> None:
    old = make_app({"SECRET_KEY": OLD})
    user_id = register(old)
    new = make_app({"SECRET_KEY": NEW, "SECRET_KEY_FALLBACKS": [OLD]})
    assert verify(new, user_id, mailbox.last_code(EMAIL)) == 200


def test_registration_code_of_the_old_key_fails_without_fallback(
        make_app: Callable[..., Flask], mailbox: Mailbox) -> None:
    old = make_app({"SECRET_KEY": OLD})
    user_id = register(old)
    new = make_app({"SECRET_KEY": NEW})
    assert verify(new, user_id, mailbox.last_code(EMAIL)) == 400


def test_totp_seed_of_the_old_key_works_with_a_fallback(
        make_app: Callable[..., Flask], mailbox: Mailbox) -> None:
    old = make_app({"SECRET_KEY": OLD})
    headers, _, secret = signed_in_with_mfa(old, mailbox)
    new = make_app({"USERCORE_SECRET_KEY": NEW, "USERCORE_SECRET_KEY_FALLBACKS": [OLD]})
    wrong = delete(new, headers, "000000" if pyotp.TOTP(secret).now() != "000000" else "1" * 6)
    assert wrong.status_code == 400
    assert new.test_client().get("/v2/users/self", headers=headers).status_code == 200
    assert delete(new, headers, pyotp.TOTP(secret).now()).status_code == 200


def test_recovery_code_of_the_old_key_works_with_a_fallback(
        make_app: Callable[..., Flask], mailbox: Mailbox) -> None:
    old = make_app({"SECRET_KEY": OLD})
    headers, user_id, _ = signed_in_with_mfa(old, mailbox)
    with old.app_context():
        session = old.extensions["usercore"].core.db.session
        session.add(RecoveryCode(user_id=uuid.UUID(user_id),
                                 code_hash=hash_code(OLD, RECOVERY_PURPOSE, "OLDRECOVERYCODE1")))
        session.commit()
    new = make_app({"USERCORE_SECRET_KEY": NEW, "USERCORE_SECRET_KEY_FALLBACKS": [OLD]})
    assert delete(new, headers, "OLDRECOVERYCODE1").status_code == 200


def test_without_fallback_the_totp_is_refused_with_400_and_recovery_still_works(
        make_app: Callable[..., Flask], mailbox: Mailbox) -> None:
    old = make_app({"SECRET_KEY": OLD})
    headers, user_id, secret = signed_in_with_mfa(old, mailbox)
    new = make_app({"SECRET_KEY": NEW})
    refused = delete(new, headers, pyotp.TOTP(secret).now())
    assert refused.status_code == 400, refused.json
    assert refused.json["validationErrors"][0]["type"] == "MfaCodeNotValid"
    with new.app_context():
        session = new.extensions["usercore"].core.db.session
        session.add(RecoveryCode(user_id=uuid.UUID(user_id),
                                 code_hash=hash_code(NEW, RECOVERY_PURPOSE, "NEWRECOVERYCODE1")))
        session.commit()
    assert delete(new, headers, "NEWRECOVERYCODE1").status_code == 200
