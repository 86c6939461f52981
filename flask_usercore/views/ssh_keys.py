"""The caller's SSH keys: list, add, show, edit, remove."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from ..models import SshKey
from ..schemas.pagination import PageQuery
from ..schemas.ssh_keys import (
    CreateSshKeySchema,
    EditSshKeySchema,
    SshKeyCreatedSchema,
    SshKeyListSchema,
    SshKeyOneSchema,
)
from ..services import ssh_keys
from ..web import CapabilityBlueprint, Page, current_auth, deps

bp = CapabilityBlueprint("ssh_keys", __name__)
_LIST = SshKeyListSchema()


@bp.operation("GET", "/users/self/ssh-keys", operation_id="user-list-ssh-keys",
              summary="Get your stored ssh-keys.", query=PageQuery, response=SshKeyListSchema)
def list_ssh_keys(query: dict[str, int]) -> Response:
    items, total = ssh_keys.list_keys(deps(), current_auth().user, limit=query["limit"],
                                      skip=query["skip"])
    # the document's body is an object ({sshKeys}), with the pagination headers of a list
    response = jsonify(_LIST.dump({"ssh_keys": items}))
    response.headers.update(Page(items, total, query["limit"], query["skip"]).headers())
    return response


@bp.operation("POST", "/users/self/ssh-keys", operation_id="user-create-ssh-key", status=201,
              summary="Store a new ssh-key.", body=CreateSshKeySchema,
              response=SshKeyCreatedSchema, extra_statuses=(409,))
def create_ssh_key(body: dict[str, Any]) -> SshKey:
    return ssh_keys.add_key(deps(), current_auth().user, body["public_key"],
                            comment=body.get("comment"), expires_at=body.get("expires_at"))


@bp.operation("GET", "/users/self/ssh-keys/<sshKeyId>", operation_id="user-get-ssh-key",
              summary="Get a specific stored ssh-key.", response=SshKeyOneSchema,
              extra_statuses=(404,))
def get_ssh_key(sshKeyId: str) -> dict[str, SshKey]:
    return {"ssh_key": ssh_keys.get_key(deps(), current_auth().user, sshKeyId)}


@bp.operation("PUT", "/users/self/ssh-keys/<sshKeyId>", operation_id="user-edit-ssh-key",
              status=204, summary="Edit a stored ssh-key.", body=EditSshKeySchema,
              extra_statuses=(404,))
def edit_ssh_key(sshKeyId: str, body: dict[str, Any]) -> None:
    ssh_keys.edit_key(deps(), current_auth().user, sshKeyId, comment=body["comment"],
                      expires_at=body.get("expires_at"))


@bp.operation("DELETE", "/users/self/ssh-keys/<sshKeyId>", operation_id="user-delete-ssh-key",
              status=204, summary="Remove a ssh-key.", extra_statuses=(404,))
def delete_ssh_key(sshKeyId: str) -> None:
    ssh_keys.remove_key(deps(), current_auth().user, sshKeyId)
