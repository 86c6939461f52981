"""The MFA setup operations: init-mfa, status, confirm, replace the recovery codes, disable."""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pyotp
import pytest
import segno
import zxingcpp
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select

from flask_usercore.models import MfaSecret, RecoveryCode
from flask_usercore.security.codes import RECOVERY_ALPHABET
from tests.api.mfa_flow import INIT, MFA, TotpClock, enable, first_factor, second_factor
from tests.api.mfa_flow import totp_clock as totp_clock  # the fixture
from tests.conftest import PASSWORD

User = dict[str, Any]


def errors(response: Any) -> list[tuple[str, str]]:
    assert response.status_code == 400, response.json
    assert response.json["type"] == "ValidationError"
    return [(e["path"], e["type"]) for e in response.json["validationErrors"]]


def status(client: FlaskClient, user: User) -> tuple[dict[str, bool], dict[str, bool]]:
    """(``GET .../credentials/mfa``, ``User.mfa``)."""
    own = client.get(MFA, headers=user["headers"])
    assert own.status_code == 200
    profile = client.get("/v2/users/self", headers=user["headers"])
    return own.json, profile.json["mfa"]


class TestInit:
    def test_the_url_and_its_qr_code(self, client: FlaskClient, user: User) -> None:
        answer = client.post(INIT, headers=user["headers"])
        assert answer.status_code == 200
        assert set(answer.json) == {"url", "barcode"}
        url = answer.json["url"]
        assert re.fullmatch(r"otpauth://totp/flask-usercore:ada@example\.com\?algorithm=SHA1"
                            r"&digits=6&issuer=flask-usercore&period=30&secret=[A-Z2-7]{32}",
                            url), url
        png = base64.b64decode(answer.json["barcode"], validate=True)
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        Image.open(io.BytesIO(png)).verify()  # a whole, valid PNG
        # a QR decoder reads the URL back
        [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
        assert decoded.format == zxingcpp.BarcodeFormat.QRCode
        assert decoded.text == url
        # and its modules are those of the URL's QR code (4 px each, 4-module quiet zone)
        matrix = segno.make_qr(url, error="m").matrix
        size = len(matrix)
        image = Image.open(io.BytesIO(png)).convert("L")
        assert image.size == ((size + 8) * 4, (size + 8) * 4)
        drawn = [[image.getpixel(((x + 4) * 4 + 2, (y + 4) * 4 + 2)) == 0 for x in range(size)]
                 for y in range(size)]
        assert drawn == [[bool(module) for module in row] for row in matrix]

    def test_calling_it_again_before_confirmation_replaces_the_seed(
            self, client: FlaskClient, user: User, totp_clock: TotpClock) -> None:
        first = client.post(INIT, headers=user["headers"]).json["url"]
        second = client.post(INIT, headers=user["headers"]).json["url"]
        old, new = pyotp.parse_uri(first).secret, pyotp.parse_uri(second).secret
        assert old != new
        assert errors(client.post(MFA, headers=user["headers"], json={
            "multiFactorCode": totp_clock.next_code(old)})) == [
            (".multiFactorCode", "MultiFactorCodeNotValid")]
        assert client.post(MFA, headers=user["headers"], json={
            "multiFactorCode": totp_clock.code(new)}).status_code == 200

    def test_an_unverified_address_is_refused(self, make_app: Callable[..., Flask],
                                              mailbox: Any) -> None:
        app = make_app({"USERCORE_REQUIRE_VERIFIED_EMAIL": False})
        client = app.test_client()
        assert client.post("/v2/register", json={
            "email": "ada@example.com", "password": PASSWORD,
            "person": {"firstName": "Ada", "lastName": "Lovelace"}}).status_code == 201
        token = client.post("/v2/authenticate", json={
            "email": "ada@example.com", "password": PASSWORD}).json["token"]
        headers = {"Authorization": f"Bearer {token}"}
        assert errors(client.post(INIT, headers=headers)) == [("", "EmailAddressNotVerified")]
        assert errors(client.post(MFA, headers=headers, json={"multiFactorCode": "123456"})) == [
            ("", "EmailAddressNotVerified")]

    def test_once_confirmed_it_is_refused(self, client: FlaskClient, user: User,
                                          totp_clock: TotpClock) -> None:
        enable(client, user["headers"], totp_clock)
        assert errors(client.post(INIT, headers=user["headers"])) == [("", "MfaAlreadyConfirmed")]


def test_the_issuer_is_configurable(make_app: Callable[..., Flask], mailbox: Any) -> None:
    app = make_app({"USERCORE_MFA_ISSUER": "Example Cloud"})
    client = app.test_client()
    user_id = client.post("/v2/register", json={
        "email": "ada@example.com", "password": PASSWORD,
        "person": {"firstName": "Ada", "lastName": "Lovelace"}}).json["userId"]
    client.post("/v2/verify-registration", json={
        "email": "ada@example.com", "userId": user_id, "token": mailbox.last_code()})
    token = client.post("/v2/authenticate", json={
        "email": "ada@example.com", "password": PASSWORD}).json["token"]
    url = client.post(INIT, headers={"Authorization": f"Bearer {token}"}).json["url"]
    assert url.startswith(f"otpauth://totp/{quote('Example Cloud')}:ada@example.com?")
    parsed = pyotp.parse_uri(url)
    assert parsed.issuer == "Example Cloud" and parsed.name == "ada@example.com"


def test_status_and_user_mfa_follow_the_setup(client: FlaskClient, user: User,
                                              totp_clock: TotpClock) -> None:
    off = {"initialized": False, "confirmed": False}
    assert status(client, user) == (off, {"active": False, "setup": False})
    secret = pyotp.parse_uri(client.post(INIT, headers=user["headers"]).json["url"]).secret
    assert status(client, user) == ({"initialized": True, "confirmed": False},
                                    {"active": False, "setup": True})
    client.post(MFA, headers=user["headers"], json={"multiFactorCode": totp_clock.code(secret)})
    assert status(client, user) == ({"initialized": True, "confirmed": True},
                                    {"active": True, "setup": True})
    assert client.delete(MFA, headers=user["headers"], json={
        "multiFactorCode": totp_clock.next_code(secret)}).status_code == 204
    assert status(client, user) == (off, {"active": False, "setup": False})


class TestConfirm:
    def test_twenty_recovery_codes_of_sixteen_characters(self, client: FlaskClient, user: User,
                                                         totp_clock: TotpClock) -> None:
        _, codes = enable(client, user["headers"], totp_clock)
        assert len(codes) == 20 and len(set(codes)) == 20
        assert all(len(code) == 16 and set(code) <= set(RECOVERY_ALPHABET) for code in codes)

    def test_refusals(self, client: FlaskClient, user: User, totp_clock: TotpClock) -> None:
        headers = user["headers"]
        assert errors(client.post(MFA, headers=headers, json={"multiFactorCode": "123456"})) == [
            ("", "MfaNotInitialized")]
        secret = pyotp.parse_uri(client.post(INIT, headers=headers).json["url"]).secret
        wrong = next(c for c in ("000000", "111111", "222222") if c not in {
            totp_clock.code(secret, d) for d in (-1, 0, 1)})
        assert errors(client.post(MFA, headers=headers, json={"multiFactorCode": wrong})) == [
            (".multiFactorCode", "MultiFactorCodeNotValid")]
        assert client.post(MFA, headers=headers, json={
            "multiFactorCode": totp_clock.code(secret)}).status_code == 200
        assert errors(client.post(MFA, headers=headers, json={
            "multiFactorCode": totp_clock.next_code(secret)})) == [("", "MfaAlreadyConfirmed")]

    @pytest.mark.parametrize(("body", "expected"), [
        ({}, [(".multiFactorCode", "required")]),
        ({"multiFactorCode": "12345"}, [(".multiFactorCode", "minLength")]),
        ({"multiFactorCode": "1" * 33}, [(".multiFactorCode", "maxLength")]),
        ({"multiFactorCode": 123456}, [(".multiFactorCode", "type")]),
    ])
    def test_bad_bodies(self, client: FlaskClient, user: User, body: dict[str, Any],
                        expected: list[tuple[str, str]]) -> None:
        for method in ("POST", "PUT", "DELETE"):
            assert errors(client.open(MFA, method=method, headers=user["headers"],
                                      json=body)) == expected


class TestRecoveryCodes:
    def test_new_codes_replace_the_old_ones(self, client: FlaskClient, user: User,
                                            totp_clock: TotpClock) -> None:
        secret, old = enable(client, user["headers"], totp_clock)
        answer = client.put(MFA, headers=user["headers"], json={"multiFactorCode": old[0]})
        assert answer.status_code == 200
        new = answer.json["recoveryCodesList"]
        assert len(new) == 20 and not set(new) & set(old)
        assert errors(client.put(MFA, headers=user["headers"], json={
            "multiFactorCode": old[1]})) == [(".multiFactorCode", "MultiFactorCodeNotValid")]
        assert client.put(MFA, headers=user["headers"], json={
            "multiFactorCode": totp_clock.next_code(secret)}).status_code == 200

    def test_without_mfa_it_is_refused(self, client: FlaskClient, user: User) -> None:
        assert errors(client.put(MFA, headers=user["headers"], json={
            "multiFactorCode": "123456"})) == [("", "MfaNotInitialized")]


class TestDisable:
    def test_a_valid_code_turns_mfa_off(self, app: Flask, client: FlaskClient, user: User,
                                        totp_clock: TotpClock) -> None:
        _, codes = enable(client, user["headers"], totp_clock)
        first_factor(client)
        answer = client.delete(MFA, headers=user["headers"], json={"multiFactorCode": codes[3]})
        assert answer.status_code == 204 and answer.data == b""
        assert client.post("/v2/authenticate", json={
            "email": user["email"], "password": PASSWORD}).status_code == 200
        with app.app_context():
            session = app.extensions["usercore"].deps.session
            assert session.scalars(select(MfaSecret)).all() == []
            assert session.scalars(select(RecoveryCode)).all() == []

    def test_a_wrong_code_keeps_it_on(self, client: FlaskClient, user: User,
                                      totp_clock: TotpClock) -> None:
        enable(client, user["headers"], totp_clock)
        assert errors(client.delete(MFA, headers=user["headers"], json={
            "multiFactorCode": "ZZZZZZZZZZZZZZZZ"})) == [
            (".multiFactorCode", "MultiFactorCodeNotValid")]
        assert status(client, user)[1] == {"active": True, "setup": True}

    def test_nothing_set_up(self, client: FlaskClient, user: User) -> None:
        assert errors(client.delete(MFA, headers=user["headers"], json={
            "multiFactorCode": "123456"})) == [("", "MfaNotInitialized")]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_without_a_set_up_the_answer_names_the_operation_that_comes_first(
        client: FlaskClient, user: User, method: str) -> None:
    # the service says only that MFA is not set up; the operation adds which call comes first
    answer = client.open(MFA, method=method, headers=user["headers"],
                         json={"multiFactorCode": "123456"})
    assert answer.status_code == 400
    assert answer.json == {
        "type": "ValidationError", "code": 400,
        "message": "MFA is not set up: call init-mfa first",
        "validationErrors": [{"path": "", "type": "MfaNotInitialized",
                              "message": "MFA is not set up: call init-mfa first"}]}


def test_the_seed_and_the_codes_never_show_after_init(app: Flask, client: FlaskClient,
                                                      user: User,
                                                      totp_clock: TotpClock) -> None:
    secret, codes = enable(client, user["headers"], totp_clock)
    seen = [
        client.get(MFA, headers=user["headers"]),
        client.get("/v2/users/self", headers=user["headers"]),
        client.post(INIT, headers=user["headers"]),  # refused: already confirmed
        client.post("/v2/authenticate", json={"email": user["email"], "password": PASSWORD}),
        second_factor(client, totp_clock.next_code(secret)),
        client.put(MFA, headers=user["headers"], json={"multiFactorCode": codes[0]}),
        client.delete(MFA, headers=user["headers"], json={
            "multiFactorCode": totp_clock.next_code(secret)}),
    ]
    assert [r.status_code for r in seen] == [200, 200, 400, 202, 200, 200, 204]
    for response in seen:
        assert secret not in response.get_data(as_text=True)
        assert not any(code in response.get_data(as_text=True) for code in codes)


def test_nothing_secret_is_stored_in_clear(app: Flask, client: FlaskClient, user: User,
                                           totp_clock: TotpClock) -> None:
    secret, codes = enable(client, user["headers"], totp_clock)
    with app.app_context():
        session = app.extensions["usercore"].deps.session
        [stored] = session.scalars(select(MfaSecret.secret_encrypted)).all()
        hashes = session.scalars(select(RecoveryCode.code_hash)).all()
    assert secret not in stored and secret.lower() not in stored.lower()
    assert app.extensions["usercore"].deps.box.decrypt(stored) == secret  # encrypted
    assert len(hashes) == 20
    assert not {h.upper() for h in hashes} & set(codes)
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes)


class TestRateLimits:
    @pytest.fixture
    def app(self, make_app: Callable[..., Flask]) -> Flask:
        return make_app({"USERCORE_RATELIMIT_AUTH": "3/minute"})

    def test_the_mfa_group_limits_code_checks_per_address(self, client: FlaskClient,
                                                          user: User) -> None:
        statuses = [client.open(MFA, method=method, headers=user["headers"], json={
            "multiFactorCode": "123456"}).status_code for method in ("POST", "PUT", "DELETE")]
        assert statuses == [400, 400, 400]
        limited = client.put(MFA, headers=user["headers"], json={"multiFactorCode": "123456"})
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
        assert client.get(MFA, headers=user["headers"]).status_code == 200  # reads are free

    def test_the_mfa_login_counts_in_the_login_group(self, client: FlaskClient,
                                                     register: Callable[..., User]) -> None:
        register()
        statuses = [
            client.post("/v2/authenticate", json={"email": "ada@example.com",
                                                  "password": PASSWORD}).status_code,
            second_factor(client, "123456").status_code]
        assert statuses == [200, 408]
        assert second_factor(client, "123456").status_code == 408
        assert second_factor(client, "123456").status_code == 429
