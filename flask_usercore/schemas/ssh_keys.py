"""Bodies of the SSH-key operations and the ``signup.SshKey`` resource."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from marshmallow import fields, pre_dump

from ..commands.ssh_keys import AddSshKey, EditSshKey
from ..messages import N_
from .base import InputSchema, ResponseSchema, UtcDateTime, UuidString
from .errortypes import TypedMessage, typed_error
from .text import Text, check_characters, text

#: Longest ``publicKey`` line accepted (a 16384-bit RSA key with a long comment fits).
MAX_PUBLIC_KEY = 16 * 1024
#: Longest comment.
MAX_COMMENT = 255
#: Markers of private keys (OpenSSH, PEM/PKCS#1/PKCS#8, PuTTY).
_PRIVATE_MARKERS = ("PRIVATE KEY", "PuTTY-User-Key-File")


class PublicKeyField(Text):
    """An OpenSSH public key line. A private key pasted by mistake is refused first, with
    type ``PrivateKeyGiven`` and a message that repeats nothing of it; then the length, then
    the characters (one line). The key itself is parsed by the service."""

    default_error_messages = {"private": TypedMessage(
        N_("This is a private key: never share it. Paste the public key (the .pub file)."),
        "PrivateKeyGiven")}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if isinstance(value, str) and any(marker in value for marker in _PRIVATE_MARKERS):
            raise self.make_error("private")
        if isinstance(value, str) and len(value) > MAX_PUBLIC_KEY:
            raise typed_error(N_("Longer than maximum length %(max)s.", max=MAX_PUBLIC_KEY),
                              "maxLength")
        result = fields.String._deserialize(self, value, attr, data, **kwargs)
        stripped = result.strip()
        check_characters(stripped)
        return stripped


class CreateSshKeySchema(InputSchema):
    """``{publicKey, expiresAt?}`` (+ an optional ``comment``, else the key line's)."""

    command = AddSshKey
    public_key = PublicKeyField(required=True, data_key="publicKey")
    expires_at = UtcDateTime(data_key="expiresAt")
    comment = text(MAX_COMMENT)


class EditSshKeySchema(InputSchema):
    """``{comment, expiresAt?}``: a PUT, so a missing ``expiresAt`` means no expiry."""

    command = EditSshKey
    comment = text(MAX_COMMENT, required=True)
    expires_at = UtcDateTime(data_key="expiresAt")


class SshKeySchema(ResponseSchema):
    """``signup.SshKey``."""

    ssh_key_id = UuidString(attribute="id", data_key="sshKeyId")
    algorithm = fields.String()
    key = fields.String(attribute="public_key")
    comment = fields.String()
    fingerprint = fields.String()
    created_at = UtcDateTime(data_key="createdAt")
    expires_at = UtcDateTime(data_key="expiresAt")


class SshKeyListSchema(ResponseSchema):
    """``{sshKeys: [...]}`` of ``GET /v2/users/self/ssh-keys``: an object, not a list, with
    the pagination headers of a list. Dumps the keys of one page (the items of the
    operation's ``Page``); its pre-dump hook puts them in the envelope, which also keeps the
    operation from compiling it (``schemas/compiled.py``), so the page is dumped here."""

    ssh_keys = fields.List(fields.Nested(SshKeySchema), data_key="sshKeys")

    @pre_dump
    def _envelope(self, items: Sequence[Any], **kwargs: Any) -> dict[str, Sequence[Any]]:
        return {"ssh_keys": items}


class SshKeyOneSchema(ResponseSchema):
    """``{sshKey}`` of ``GET /v2/users/self/ssh-keys/{sshKeyId}``."""

    ssh_key = fields.Nested(SshKeySchema, data_key="sshKey")


class SshKeyCreatedSchema(ResponseSchema):
    """The 201 of ``POST /v2/users/self/ssh-keys``: the document declares ``{}``; the new
    ``sshKeyId`` is an extra field the clients keep."""

    ssh_key_id = UuidString(attribute="id", data_key="sshKeyId")
