"""The user's resources driven by mittwald's PyPI client over a socket: SSH keys, settings,
poll settings, feedback, phone number, avatar (with the File API upload).

Every operation runs through ``mittwald-api-client`` 3.0.0 against the served example app,
once with the client's default ``Authorization: Bearer`` and once with ``x-access-token``;
every response is checked against mittwald's document (httpx hook). The SMS code is read from
the example app's SMS outbox.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import re
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from mittwald_api_client import AuthenticatedClient, Client
from mittwald_api_client.api.file import file_create_file, file_get_file
from mittwald_api_client.api.user import (
    user_add_phone_number,
    user_create_feedback,
    user_create_ssh_key,
    user_delete_ssh_key,
    user_edit_ssh_key,
    user_get_personalized_settings,
    user_get_poll_status,
    user_get_ssh_key,
    user_get_user,
    user_list_feedback,
    user_list_ssh_keys,
    user_post_poll_status,
    user_remove_avatar,
    user_remove_phone_number,
    user_request_avatar_upload,
    user_update_personalized_settings,
    user_verify_phone_number,
)
from mittwald_api_client.models import (
    DeMittwaldV1CommonsError,
    DeMittwaldV1CommonsValidationErrors,
    DeMittwaldV1FileFileMeta,
    DeMittwaldV1PollUserPollSettings,
    DeMittwaldV1PollUserPollSettingsStatus,
    DeMittwaldV1UserUser,
    DeMittwaldV1UserUserFeedback,
    FileCreateFileBody,
    UserAddPhoneNumberBody,
    UserCreateFeedbackBody,
    UserCreateFeedbackBodyType,
    UserCreateFeedbackResponse201,
    UserCreateSshKeyBody,
    UserCreateSshKeyResponse201,
    UserEditSshKeyBody,
    UserGetPersonalizedSettingsResponse200,
    UserGetSshKeyResponse200,
    UserListSshKeysResponse200,
    UserPostPollStatusBody,
    UserPostPollStatusBodyStatus,
    UserRequestAvatarUploadResponse200,
    UserUpdatePersonalizedSettingsBody,
    UserVerifyPhoneNumberBody,
)
from mittwald_api_client.types import UNSET, File
from PIL import Image

from tests.contract.served import Served, authenticated, log_in, register_verified, serve

MOBILE = "+491701234567"


@pytest.fixture(scope="module")
def served(database_url: str, _schema: None,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The example app with its SMS outbox and avatar folder in temporary folders."""
    outbox = tmp_path_factory.mktemp("outbox")
    with serve(database_url, outbox, USERCORE_SMS_OUTBOX=str(outbox / "sms"),
               USERCORE_AVATAR_FOLDER=str(tmp_path_factory.mktemp("avatars"))) as running:
        yield running


def sms_code(outbox: Path, number: str) -> str:
    """The code of the newest SMS to ``number`` in the outbox."""
    for path in sorted((outbox / "sms").glob("*.txt"), reverse=True):
        text = path.read_text(encoding="utf-8")
        if text.startswith(f"To: {number}\n"):
            match = re.search(r"code is: (\d{6})", text)
            assert match, text
            return match.group(1)
    raise AssertionError(f"no SMS to {number}")


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), "teal").save(out, "PNG")
    return out.getvalue()


def ssh_keys(client: AuthenticatedClient) -> None:
    line = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        Encoding.OpenSSH, PublicFormat.OpenSSH).decode() + " ada@laptop"
    expires = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=7)
    created = user_create_ssh_key.sync_detailed(
        client=client, body=UserCreateSshKeyBody(public_key=line, expires_at=expires))
    assert created.status_code == HTTPStatus.CREATED, created.content
    assert isinstance(created.parsed, UserCreateSshKeyResponse201)
    listed = user_list_ssh_keys.sync_detailed(client=client)
    assert listed.status_code == HTTPStatus.OK
    assert isinstance(listed.parsed, UserListSshKeysResponse200)
    assert listed.headers["X-Pagination-TotalCount"] == "1"
    [key] = listed.parsed.ssh_keys  # type: ignore[misc]
    assert (key.algorithm, key.comment, key.expires_at) == ("ssh-ed25519", "ada@laptop", expires)
    again = user_create_ssh_key.sync_detailed(client=client,
                                              body=UserCreateSshKeyBody(public_key=line))
    assert again.status_code == HTTPStatus.CONFLICT
    assert isinstance(again.parsed, DeMittwaldV1CommonsError)
    garbage = user_create_ssh_key.sync_detailed(client=client,
                                                body=UserCreateSshKeyBody(public_key="ssh-rsa x"))
    assert isinstance(garbage.parsed, DeMittwaldV1CommonsValidationErrors)
    edited = user_edit_ssh_key.sync_detailed(key.ssh_key_id, client=client,
                                             body=UserEditSshKeyBody(comment="work"))
    assert edited.status_code == HTTPStatus.NO_CONTENT
    one = user_get_ssh_key.sync_detailed(key.ssh_key_id, client=client)
    assert isinstance(one.parsed, UserGetSshKeyResponse200)
    assert (one.parsed.ssh_key.comment, one.parsed.ssh_key.expires_at) == ("work", UNSET)
    deleted = user_delete_ssh_key.sync_detailed(key.ssh_key_id, client=client)
    assert deleted.status_code == HTTPStatus.NO_CONTENT
    gone = user_get_ssh_key.sync_detailed(key.ssh_key_id, client=client)
    assert gone.status_code == HTTPStatus.NOT_FOUND
    assert isinstance(gone.parsed, DeMittwaldV1CommonsError)


def settings_and_poll(client: AuthenticatedClient, user_id: str) -> None:
    empty = user_get_personalized_settings.sync_detailed("self", client=client)
    assert isinstance(empty.parsed, UserGetPersonalizedSettingsResponse200)
    assert empty.parsed.settings_string is UNSET
    document = base64.b64encode(b'{"onboarding":{"completed":[]}}').decode()
    put = user_update_personalized_settings.sync_detailed(
        user_id, client=client, body=UserUpdatePersonalizedSettingsBody(settings_string=document))
    assert put.status_code == HTTPStatus.NO_CONTENT
    got = user_get_personalized_settings.sync_detailed(user_id, client=client)
    assert isinstance(got.parsed, UserGetPersonalizedSettingsResponse200)
    assert got.parsed.settings_string == document

    new = user_get_poll_status.sync_detailed("self", client=client)
    assert isinstance(new.parsed, DeMittwaldV1PollUserPollSettings)
    assert (new.parsed.status, new.parsed.should_show) == (
        DeMittwaldV1PollUserPollSettingsStatus.NEW, True)
    muted = user_post_poll_status.sync_detailed(user_id, client=client, body=UserPostPollStatusBody(
        status=UserPostPollStatusBodyStatus.MUTED, user_id=user_id))
    assert isinstance(muted.parsed, DeMittwaldV1PollUserPollSettings)
    assert muted.parsed.should_show is False
    assert muted.parsed.dont_show_until is not UNSET
    done = user_post_poll_status.sync_detailed("self", client=client, body=UserPostPollStatusBody(
        status=UserPostPollStatusBodyStatus.COMPLETED, user_id=user_id))
    assert isinstance(done.parsed, DeMittwaldV1PollUserPollSettings)
    assert done.parsed.status == DeMittwaldV1PollUserPollSettingsStatus.COMPLETED
    other = user_post_poll_status.sync_detailed("self", client=client, body=UserPostPollStatusBody(
        status=UserPostPollStatusBodyStatus.IGNORED, user_id=str(UUID(int=1))))
    assert other.status_code == HTTPStatus.FORBIDDEN
    assert isinstance(other.parsed, DeMittwaldV1CommonsError)


def feedback(client: AuthenticatedClient) -> None:
    sent = user_create_feedback.sync_detailed(client=client, body=UserCreateFeedbackBody(
        subject="Nice", message="Two\nlines", type_=UserCreateFeedbackBodyType.FEEDBACK, vote=9))
    assert sent.status_code == HTTPStatus.CREATED
    assert isinstance(sent.parsed, UserCreateFeedbackResponse201)
    listed = user_list_feedback.sync_detailed("self", client=client, subject="nic")
    assert listed.status_code == HTTPStatus.OK
    assert isinstance(listed.parsed, list)
    [item] = listed.parsed
    assert isinstance(item, DeMittwaldV1UserUserFeedback)
    assert (item.subject, item.message, item.origin, item.vote) == ("Nice", "Two\nlines", "", 9)
    without = user_create_feedback.sync_detailed(client=client)  # no body: subject missing
    assert without.status_code == HTTPStatus.BAD_REQUEST
    others = user_list_feedback.sync_detailed(str(UUID(int=1)), client=client)
    assert others.status_code == HTTPStatus.FORBIDDEN


def phone(client: AuthenticatedClient, served: Served, user_id: str, number: str) -> None:
    added = user_add_phone_number.sync_detailed(
        user_id, client=client, body=UserAddPhoneNumberBody(phone_number=number))
    assert added.status_code == HTTPStatus.NO_CONTENT, added.content
    wrong = user_verify_phone_number.sync_detailed("self", client=client,
                                                   body=UserVerifyPhoneNumberBody(
                                                       code="abcdef", phone_number=number))
    assert isinstance(wrong.parsed, DeMittwaldV1CommonsValidationErrors)
    verified = user_verify_phone_number.sync_detailed("self", client=client,
                                                      body=UserVerifyPhoneNumberBody(
                                                          code=sms_code(served.outbox, number),
                                                          phone_number=number))
    assert verified.status_code == HTTPStatus.NO_CONTENT, verified.content
    me = user_get_user.sync_detailed("self", client=client).parsed
    assert isinstance(me, DeMittwaldV1UserUser)
    assert me.phone_number == number
    again = user_add_phone_number.sync_detailed(
        "self", client=client, body=UserAddPhoneNumberBody(phone_number=number))
    assert again.status_code == HTTPStatus.CONFLICT
    removed = user_remove_phone_number.sync_detailed("self", client=client)
    assert removed.status_code == HTTPStatus.NO_CONTENT
    none = user_remove_phone_number.sync_detailed("self", client=client)
    assert none.status_code == HTTPStatus.PRECONDITION_FAILED
    assert isinstance(none.parsed, DeMittwaldV1CommonsError)


def avatar(client: AuthenticatedClient, served: Served, user_id: str) -> None:
    asked = user_request_avatar_upload.sync_detailed(user_id, client=client)
    assert asked.status_code == HTTPStatus.OK, asked.content
    assert isinstance(asked.parsed, UserRequestAvatarUploadResponse200)
    assert "image/png" in asked.parsed.rules.mime_types
    with Client(base_url=served.base_url, httpx_args=served.httpx_args()) as public:
        # The client types ``token`` as a UUID but puts it into the header as is, which
        # httpx refuses (TypeError): its string is what a caller must pass.
        ref_id: Any = str(asked.parsed.ref_id)
        uploaded = file_create_file.sync_detailed(
            client=public, token=ref_id, body=FileCreateFileBody(
                file=File(payload=io.BytesIO(png()), file_name="me.png",
                          mime_type="image/png")))
        assert uploaded.status_code == HTTPStatus.CREATED, uploaded.content
        meta = uploaded.parsed
        assert isinstance(meta, DeMittwaldV1FileFileMeta)
        assert (meta.name, meta.mime_type) == ("me.png", "image/png")
        image = file_get_file.sync_detailed(str(meta.id), client=public)
        assert image.status_code == HTTPStatus.OK
        assert len(image.content) == meta.size_in_bytes
        reused = file_create_file.sync_detailed(
            client=public, token=ref_id,
            body=FileCreateFileBody(file=File(payload=io.BytesIO(png()), file_name="x.png")))
        assert reused.status_code == HTTPStatus.FORBIDDEN
        assert isinstance(reused.parsed, DeMittwaldV1CommonsError)
    me = user_get_user.sync_detailed("self", client=client).parsed
    assert isinstance(me, DeMittwaldV1UserUser)
    assert me.avatar_ref == meta.id
    assert me["pictureUrl"] == f"{served.base_url}/v2/files/{meta.id}/me.png"
    removed = user_remove_avatar.sync_detailed("self", client=client)
    assert removed.status_code == HTTPStatus.NO_CONTENT
    me = user_get_user.sync_detailed("self", client=client).parsed
    assert isinstance(me, DeMittwaldV1UserUser)
    assert me.avatar_ref is UNSET


@pytest.mark.parametrize(("header", "number"), [("Authorization", MOBILE),
                                                ("x-access-token", "+447911123456")])
def test_every_resource_operation_through_the_pypi_client(served: Served, header: str,
                                                          number: str) -> None:
    email = f"ada.resources.{header.lower()}@example.com"
    user_id = register_verified(served, email)
    with Client(base_url=served.base_url, httpx_args=served.httpx_args()) as public:
        token = log_in(public, email).token
    with authenticated(served, token, header) as client:
        ssh_keys(client)
        settings_and_poll(client, user_id)
        feedback(client)
        phone(client, served, user_id, number)
        avatar(client, served, user_id)
