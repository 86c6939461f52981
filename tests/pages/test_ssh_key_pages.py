"""The SSH keys page: list, add (the API's key checks next to the field), edit, delete."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from flask.testing import FlaskClient

from tests.api.mfa_flow import TotpClock
from tests.api.test_ssh_keys import ed25519_line, openssh_fingerprint, public_line
from tests.conftest import PASSWORD
from tests.pages.page_support import field_error, forms, sign_in, submit

URL = "/account/ssh-keys"


@pytest.fixture
def ada(client: FlaskClient, register: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    return facts


def keys(client: FlaskClient) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = client.get("/v2/users/self/ssh-keys").json["sshKeys"]
    return listed


def add(client: FlaskClient, **values: Any) -> Any:
    return submit(client, URL, "add-ssh-key-form", **values)


def test_a_key_is_added_and_listed(client: FlaskClient, ada: dict[str, Any]) -> None:
    line = ed25519_line("ada@laptop")
    done = add(client, publicKey=line, expiresAt="2099-06-01T08:30")
    assert done.status_code == 303
    [key] = keys(client)
    assert key["comment"] == "ada@laptop", "the line's own comment, none given"
    assert key["expiresAt"] == "2099-06-01T08:30:00Z"
    page = client.get(done.headers["Location"])
    assert "The SSH key is added." in page.text
    assert openssh_fingerprint(line) in page.text
    assert "ssh-ed25519" in page.text


@pytest.mark.parametrize(("line", "says"), [
    (lambda: "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk=\n", "private key"),
    (lambda: "ssh-ed25519", "not an OpenSSH public key"),
    (lambda: public_line(rsa.generate_private_key(65537, 1024)),  # noqa: S505 (refused)
     "at least 2048 bits"),
    (lambda: "ssh-dss AAAAB3NzaC1kc3MAAACBAP== x", "DSA keys are insecure"),
])
def test_the_apis_key_checks_are_shown_next_to_the_field(
        client: FlaskClient, ada: dict[str, Any], line: Callable[[], str], says: str) -> None:
    refused = add(client, publicKey=line())
    assert refused.status_code == 400
    assert says in (field_error(refused.text, "publicKey") or "")
    assert 'aria-invalid="true"' in refused.text
    assert keys(client) == []


def test_the_same_key_twice_is_refused(client: FlaskClient, ada: dict[str, Any]) -> None:
    line = ed25519_line()
    add(client, publicKey=line)
    again = add(client, publicKey=line, comment="again")
    assert again.status_code == 409
    assert "stored already" in again.text
    assert len(keys(client)) == 1


def test_a_past_expiry_is_refused(client: FlaskClient, ada: dict[str, Any]) -> None:
    refused = add(client, publicKey=ed25519_line(), expiresAt="2000-01-01T00:00")
    assert refused.status_code == 400
    assert field_error(refused.text, "expiresAt")
    assert keys(client) == []


def test_an_old_sign_in_needs_the_password(app: Flask, client: FlaskClient,
                                           ada: dict[str, Any],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    clock = TotpClock()
    monkeypatch.setattr(app.extensions["usercore"].deps.clock, "source", clock)
    clock.advance(15 * 60 + 1)
    missing = add(client, publicKey=ed25519_line())
    assert missing.status_code == 401
    assert field_error(missing.text, "password")
    assert keys(client) == []
    assert add(client, publicKey=ed25519_line(), password=PASSWORD).status_code == 303
    assert len(keys(client)) == 1


def test_edit_changes_comment_and_expiry(client: FlaskClient, ada: dict[str, Any]) -> None:
    add(client, publicKey=ed25519_line("old"), expiresAt="2099-01-01T00:00")
    [key] = keys(client)
    url = f"{URL}/{key['sshKeyId']}/edit"
    form = forms(client.get(url).text)["edit-ssh-key-form"]
    assert form["fields"] == {**form["fields"], "comment": "old",
                              "expiresAt": "2099-01-01T00:00:00"}
    bad = submit(client, url, "edit-ssh-key-form", comment="x\x07y")
    assert bad.status_code == 400 and field_error(bad.text, "comment")
    done = submit(client, url, "edit-ssh-key-form", comment="new", expiresAt="")
    assert done.status_code == 303
    [edited] = keys(client)
    assert edited["comment"] == "new" and "expiresAt" not in edited


def test_delete_asks_then_removes(client: FlaskClient, ada: dict[str, Any]) -> None:
    add(client, publicKey=ed25519_line("to remove"))
    [key] = keys(client)
    url = f"{URL}/{key['sshKeyId']}/delete"
    assert "to remove" in client.get(url).text
    unconfirmed = submit(client, url, "delete-ssh-key-form")
    assert unconfirmed.status_code == 400 and field_error(unconfirmed.text, "confirm")
    assert len(keys(client)) == 1
    done = submit(client, url, "delete-ssh-key-form", confirm="y")
    assert done.status_code == 303
    assert keys(client) == []
    assert "The SSH key is deleted." in client.get(done.headers["Location"]).text


def test_another_users_key_is_not_found(client: FlaskClient,
                                        register: Callable[..., dict[str, Any]]) -> None:
    theirs = register("grace@example.com")
    sign_in(client, theirs["email"], PASSWORD)
    add(client, publicKey=ed25519_line())
    [key] = keys(client)
    client.delete_cookie("x-access-token")
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    for action in ("edit", "delete"):
        assert client.get(f"{URL}/{key['sshKeyId']}/{action}").status_code == 404
    csrf = forms(client.get(URL).text)["add-ssh-key-form"]["fields"]["csrf_token"]
    assert client.post(f"{URL}/{key['sshKeyId']}/edit",
                       data={"csrf_token": csrf, "comment": "mine"}).status_code == 404


def test_csrf_is_required(client: FlaskClient, ada: dict[str, Any]) -> None:
    assert client.post(URL, data={"publicKey": ed25519_line()}).status_code == 400
    assert keys(client) == []


def test_a_visitor_is_sent_to_sign_in(client: FlaskClient) -> None:
    assert client.get(URL).headers["Location"] == f"/account/sign-in?next={URL}"


def test_the_page_in_german(client: FlaskClient, ada: dict[str, Any]) -> None:
    page = client.get(URL, headers={"Accept-Language": "de"})
    assert "<h1>SSH-Schlüssel</h1>" in page.text
    assert "SSH-Schlüssel hinzufügen" in page.text
