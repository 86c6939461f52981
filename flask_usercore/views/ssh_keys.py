"""The caller's SSH keys: list, add, show, edit, remove."""

from __future__ import annotations

from ..commands.pagination import PageRequest
from ..commands.ssh_keys import AddSshKey, EditSshKey
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


@bp.operation("GET", "/users/self/ssh-keys", operation_id="user-list-ssh-keys",
              summary="Get your stored ssh-keys.", query=PageQuery, response=SshKeyListSchema)
def list_ssh_keys(query: PageRequest) -> Page:
    # the document's body is an object ({sshKeys}): SshKeyListSchema dumps the page's items
    # into it; the page gives the pagination headers of a list
    items, total = ssh_keys.list_keys(deps(), current_auth().user, limit=query.limit,
                                      skip=query.skip)
    return Page(items, total, query.limit, query.skip)


@bp.operation("POST", "/users/self/ssh-keys", operation_id="user-create-ssh-key", status=201,
              summary="Store a new ssh-key.", body=CreateSshKeySchema,
              response=SshKeyCreatedSchema, extra_statuses=(409,), fresh=True)
def create_ssh_key(body: AddSshKey) -> SshKey:
    return ssh_keys.add_key(deps(), current_auth().user, body)


@bp.operation("GET", "/users/self/ssh-keys/<sshKeyId>", operation_id="user-get-ssh-key",
              summary="Get a specific stored ssh-key.", response=SshKeyOneSchema,
              extra_statuses=(404,))
def get_ssh_key(sshKeyId: str) -> dict[str, SshKey]:
    return {"ssh_key": ssh_keys.get_key(deps(), current_auth().user, sshKeyId)}


@bp.operation("PUT", "/users/self/ssh-keys/<sshKeyId>", operation_id="user-edit-ssh-key",
              status=204, summary="Edit a stored ssh-key.", body=EditSshKeySchema,
              extra_statuses=(404,))
def edit_ssh_key(sshKeyId: str, body: EditSshKey) -> None:
    ssh_keys.edit_key(deps(), current_auth().user, sshKeyId, body)


@bp.operation("DELETE", "/users/self/ssh-keys/<sshKeyId>", operation_id="user-delete-ssh-key",
              status=204, summary="Remove a ssh-key.", extra_statuses=(404,))
def delete_ssh_key(sshKeyId: str) -> None:
    ssh_keys.remove_key(deps(), current_auth().user, sshKeyId)
