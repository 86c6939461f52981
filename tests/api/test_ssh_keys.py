"""SSH keys: every key type (made with cryptography here), bad input, limits, other users."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging
import uuid
import warnings
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from flask_usercore import signals
from flask_usercore.models import SshKey
from tests.api.resource_helpers import error_items, signed_in
from tests.conftest import Mailbox

URL = "/v2/users/self/ssh-keys"


def public_line(private: Any, comment: str = "ada@example.com") -> str:
    line: str = private.public_key().public_bytes(Encoding.OpenSSH,
                                                  PublicFormat.OpenSSH).decode()
    return f"{line} {comment}" if comment else line


def ed25519_line(comment: str = "ada@example.com") -> str:
    return public_line(ed25519.Ed25519PrivateKey.generate(), comment)


def openssh_fingerprint(line: str) -> str:
    blob = base64.b64decode(line.split()[1])
    return ":".join(f"{b:02x}" for b in hashlib.sha256(blob).digest())


def add(client: FlaskClient, user: dict[str, Any], line: str, **extra: Any) -> Any:
    return client.post(URL, json={"publicKey": line, **extra}, headers=user["headers"])


def listed(client: FlaskClient, user: dict[str, Any], **query: Any) -> Any:
    return client.get(URL, query_string=query, headers=user["headers"])


@pytest.mark.parametrize(("name", "make", "algorithm"), [
    ("ed25519", ed25519.Ed25519PrivateKey.generate, "ssh-ed25519"),
    ("p256", lambda: ec.generate_private_key(ec.SECP256R1()), "ecdsa-sha2-nistp256"),
    ("p384", lambda: ec.generate_private_key(ec.SECP384R1()), "ecdsa-sha2-nistp384"),
    ("p521", lambda: ec.generate_private_key(ec.SECP521R1()), "ecdsa-sha2-nistp521"),
    ("rsa2048", lambda: rsa.generate_private_key(65537, 2048), "ssh-rsa"),
    ("rsa3072", lambda: rsa.generate_private_key(65537, 3072), "ssh-rsa"),
])
def test_every_supported_type_is_stored_with_algorithm_fingerprint_and_comment(
        client: FlaskClient, user: dict[str, Any], name: str, make: Callable[[], Any],
        algorithm: str) -> None:
    line = public_line(make(), f"{name}@laptop")
    created = add(client, user, line)
    assert created.status_code == 201, created.json
    [key] = listed(client, user).json["sshKeys"]
    assert key["sshKeyId"] == created.json["sshKeyId"]
    assert key["algorithm"] == algorithm
    assert key["key"] == line.rsplit(" ", 1)[0]
    assert key["comment"] == f"{name}@laptop"
    assert key["fingerprint"] == openssh_fingerprint(line)
    assert len(key["fingerprint"]) == 95
    assert "expiresAt" not in key


@pytest.mark.parametrize(("make", "kind", "words"), [
    (lambda: rsa.generate_private_key(65537, 1024),  # noqa: S505 (the weak key refused)
     "WeakSshKey", "at least 2048 bits"),
    (lambda: dsa.generate_private_key(1024),  # noqa: S505 (refused whatever its size)
     "UnsupportedSshKeyType", "DSA"),
])
def test_weak_and_dsa_keys_are_refused_naming_why(
        client: FlaskClient, user: dict[str, Any], make: Callable[[], Any], kind: str,
        words: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # cryptography deprecates writing DSA keys
        line = public_line(make())
    response = add(client, user, line)
    assert response.status_code == 400
    assert error_items(response) == [(".publicKey", kind)]
    assert words in response.json["validationErrors"][0]["message"]
    assert listed(client, user).json["sshKeys"] == []


@pytest.mark.parametrize("line", [
    "garbage",
    "ssh-ed25519 not-base64!!",
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDkk",  # truncated
    "ssh-foo AAAAB3NzaC1yc2EAAAADAQABAAABAQ",
    "",
])
def test_garbage_is_a_400_naming_the_field(client: FlaskClient, user: dict[str, Any],
                                           line: str) -> None:
    response = add(client, user, line)
    assert response.status_code == 400
    [(path, _)] = error_items(response)
    assert path == ".publicKey"


def test_key_types_disagreeing_with_the_blob_are_refused(client: FlaskClient,
                                                        user: dict[str, Any]) -> None:
    blob = ed25519_line("").split()[1]
    response = add(client, user, f"ssh-rsa {blob}")
    assert response.status_code == 400
    assert error_items(response) == [(".publicKey", "InvalidSshKey")]


@pytest.mark.parametrize("fmt", [PrivateFormat.OpenSSH, PrivateFormat.PKCS8,
                                 PrivateFormat.TraditionalOpenSSL])
def test_a_pasted_private_key_is_refused_never_stored_nor_logged(
        app: Flask, client: FlaskClient, user: dict[str, Any],
        caplog: pytest.LogCaptureFixture, fmt: PrivateFormat) -> None:
    private = (ec.generate_private_key(ec.SECP256R1()) if fmt != PrivateFormat.OpenSSH
               else ed25519.Ed25519PrivateKey.generate())
    pem = private.private_bytes(Encoding.PEM, fmt, NoEncryption()).decode()
    secret_line = pem.splitlines()[1]
    caplog.set_level(logging.DEBUG)
    response = add(client, user, pem)
    assert response.status_code == 400
    assert error_items(response) == [(".publicKey", "PrivateKeyGiven")]
    assert secret_line not in response.get_data(as_text=True)
    assert secret_line not in caplog.text
    with app.app_context():
        session = app.extensions["usercore"].core.db.session
        assert session.scalar(select(func.count()).select_from(SshKey)) == 0


def test_overlong_input_is_a_400(client: FlaskClient, user: dict[str, Any]) -> None:
    response = add(client, user, ed25519_line("x" * 17000))
    assert error_items(response) == [(".publicKey", "maxLength")]
    response = add(client, user, ed25519_line("c" * 300))
    assert error_items(response) == [(".publicKey", "maxLength")]
    response = add(client, user, ed25519_line(""), comment="c" * 256)
    assert error_items(response) == [(".comment", "maxLength")]


def test_control_characters_in_the_line_are_refused(client: FlaskClient,
                                                    user: dict[str, Any]) -> None:
    response = add(client, user, ed25519_line("ada\x1b[31m"))
    assert error_items(response) == [(".publicKey", "controlCharacters")]


def test_surrounding_whitespace_and_a_final_newline_are_fine(client: FlaskClient,
                                                            user: dict[str, Any]) -> None:
    assert add(client, user, f"  {ed25519_line()}\n").status_code == 201


def test_the_same_key_twice_is_a_409_even_with_another_comment(
        client: FlaskClient, user: dict[str, Any]) -> None:
    private = ed25519.Ed25519PrivateKey.generate()
    assert add(client, user, public_line(private, "one")).status_code == 201
    again = add(client, user, public_line(private, "two"))
    assert again.status_code == 409
    assert again.json["type"] == "Conflict"
    assert len(listed(client, user).json["sshKeys"]) == 1


def test_two_users_may_store_the_same_key(client: FlaskClient, user: dict[str, Any],
                                          register: Callable[..., Any],
                                          login: Callable[..., str]) -> None:
    line = ed25519_line()
    register("grace@example.com")
    grace = {"headers": {"x-access-token": login("grace@example.com")}}
    assert add(client, user, line).status_code == 201
    assert add(client, grace, line).status_code == 201


def test_a_comment_in_the_body_wins_and_no_comment_is_empty(
        client: FlaskClient, user: dict[str, Any]) -> None:
    add(client, user, ed25519_line("from-line"), comment="from body")
    add(client, user, ed25519_line(""))
    comments = sorted(k["comment"] for k in listed(client, user).json["sshKeys"])
    assert comments == ["", "from body"]


def test_expires_at_must_lie_in_the_future(client: FlaskClient, user: dict[str, Any]) -> None:
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).isoformat()
    assert error_items(add(client, user, ed25519_line(), expiresAt=past)) == [
        (".expiresAt", "formatMinimum")]
    assert error_items(add(client, user, ed25519_line(), expiresAt="tomorrow")) == [
        (".expiresAt", "format")]
    for moment in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"):
        # before year 1 or after year 9999 in UTC: an OverflowError (a 500) before
        assert error_items(add(client, user, ed25519_line(), expiresAt=moment)) == [
            (".expiresAt", "format")], moment
    future = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
    created = add(client, user, ed25519_line(), expiresAt=future.isoformat())
    assert created.status_code == 201
    [key] = listed(client, user).json["sshKeys"]
    assert key["expiresAt"] == future.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_the_per_user_limit(make_app: Callable[..., Flask], mailbox: Mailbox) -> None:
    client = make_app({"USERCORE_SSH_KEYS_MAX": 2}).test_client()
    headers = signed_in(client, mailbox)
    for _ in range(2):
        assert client.post(URL, json={"publicKey": ed25519_line()},
                           headers=headers).status_code == 201
    third = client.post(URL, json={"publicKey": ed25519_line()}, headers=headers)
    assert third.status_code == 400
    assert error_items(third) == [("", "maxItems")]


def test_list_pages_with_headers(client: FlaskClient, user: dict[str, Any]) -> None:
    for index in range(3):
        add(client, user, ed25519_line(f"k{index}"))
    everything = listed(client, user)
    assert [k["comment"] for k in everything.json["sshKeys"]] == ["k0", "k1", "k2"]
    assert everything.headers["X-Pagination-TotalCount"] == "3"
    second = listed(client, user, limit=2, page=2)
    assert [k["comment"] for k in second.json["sshKeys"]] == ["k2"]
    assert second.headers["X-Pagination-Page"] == "2"
    assert second.headers["X-Pagination-Limit"] == "2"
    skipped = listed(client, user, limit=2, skip=1, page=5)
    assert [k["comment"] for k in skipped.json["sshKeys"]] == ["k1", "k2"]
    assert listed(client, user, limit=-1).status_code == 400


def test_get_edit_and_delete_one_key(client: FlaskClient, user: dict[str, Any]) -> None:
    received: list[str] = []
    line = ed25519_line("old")

    def on(signal: str) -> Callable[..., None]:
        return lambda sender, **kw: received.append(f"{signal}:{kw['ssh_key'].comment}")

    added, removed = on("added"), on("removed")
    signals.ssh_key_added.connect(added)
    signals.ssh_key_removed.connect(removed)
    try:
        key_id = add(client, user, line).json["sshKeyId"]
        one = client.get(f"{URL}/{key_id}", headers=user["headers"])
        assert one.status_code == 200
        assert one.json["sshKey"]["comment"] == "old"
        future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
        edited = client.put(f"{URL}/{key_id}", json={"comment": "new", "expiresAt": future},
                            headers=user["headers"])
        assert edited.status_code == 204
        assert edited.data == b""
        key = client.get(f"{URL}/{key_id}", headers=user["headers"]).json["sshKey"]
        assert key["comment"] == "new"
        assert "expiresAt" in key
        assert client.put(f"{URL}/{key_id}", json={"comment": "newer"},
                          headers=user["headers"]).status_code == 204
        assert "expiresAt" not in client.get(f"{URL}/{key_id}",
                                             headers=user["headers"]).json["sshKey"]
        assert error_items(client.put(f"{URL}/{key_id}", json={}, headers=user["headers"])) == [
            (".comment", "required")]
        assert error_items(client.put(f"{URL}/{key_id}", json={
            "comment": "c", "expiresAt": "9999-12-31T23:59:59-14:00"},
            headers=user["headers"])) == [(".expiresAt", "format")]
        assert client.delete(f"{URL}/{key_id}", headers=user["headers"]).status_code == 204
        assert client.get(f"{URL}/{key_id}", headers=user["headers"]).status_code == 404
        assert client.delete(f"{URL}/{key_id}", headers=user["headers"]).status_code == 404
    finally:
        signals.ssh_key_added.disconnect(added)
        signals.ssh_key_removed.disconnect(removed)
    assert received == ["added:old", "removed:newer"]


def test_another_users_key_is_not_found(client: FlaskClient, user: dict[str, Any],
                                        register: Callable[..., Any],
                                        login: Callable[..., str]) -> None:
    key_id = add(client, user, ed25519_line()).json["sshKeyId"]
    register("grace@example.com")
    grace = {"x-access-token": login("grace@example.com")}
    assert client.get(f"{URL}/{key_id}", headers=grace).status_code == 404
    assert client.put(f"{URL}/{key_id}", json={"comment": "mine"},
                      headers=grace).status_code == 404
    assert client.delete(f"{URL}/{key_id}", headers=grace).status_code == 404
    assert client.get(URL, headers=grace).json["sshKeys"] == []
    assert client.get(f"{URL}/{key_id}", headers=user["headers"]).status_code == 200
    assert client.get(f"{URL}/not-a-uuid", headers=grace).status_code == 404
    assert client.get(f"{URL}/{uuid.uuid4()}", headers=grace).status_code == 404


def test_a_token_is_required(client: FlaskClient) -> None:
    assert client.get(URL).status_code == 401
    assert client.post(URL, json={"publicKey": ed25519_line()}).status_code == 401
