"""The caller's API tokens: list, create, show, edit, delete (sessions only)."""

from __future__ import annotations

from ..commands.api_tokens import CreateApiToken, EditApiToken
from ..commands.pagination import PageRequest
from ..schemas.api_tokens import (
    ApiTokenCreated,
    ApiTokenCreateSchema,
    ApiTokenEditSchema,
    ApiTokenSchema,
)
from ..schemas.pagination import PageQuery
from ..services import api_tokens
from ..services.access import SESSION_ONLY
from ..services.api_tokens import ApiTokenInfo
from ..web import CapabilityBlueprint, Page, current_auth, deps

bp = CapabilityBlueprint("api_tokens", __name__)


@bp.operation("GET", "/users/self/api-tokens", operation_id="user-list-api-tokens",
              kinds=SESSION_ONLY, summary="List all of your ApiTokens.", query=PageQuery,
              response=ApiTokenSchema, many=True)
def list_api_tokens(query: PageRequest) -> Page:
    items, total = api_tokens.list_api_tokens(deps(), current_auth(), limit=query.limit,
                                              skip=query.skip)
    return Page(items, total, query.limit, query.skip)


@bp.operation("POST", "/users/self/api-tokens", operation_id="user-create-api-token",
              status=201, kinds=SESSION_ONLY, summary="Create a new ApiToken.",
              body=ApiTokenCreateSchema, response=ApiTokenCreated, fresh=True)
def create_api_token(body: CreateApiToken) -> dict[str, str]:
    return {"token": api_tokens.create_api_token(deps(), current_auth(), body)}


@bp.operation("GET", "/users/self/api-tokens/<apiTokenId>", operation_id="user-get-api-token",
              kinds=SESSION_ONLY, summary="Get a specific ApiToken.", response=ApiTokenSchema,
              extra_statuses=(404,))
def get_api_token(apiTokenId: str) -> ApiTokenInfo:
    return api_tokens.get_api_token(deps(), current_auth(), apiTokenId)


@bp.operation("PUT", "/users/self/api-tokens/<apiTokenId>", operation_id="user-edit-api-token",
              status=204, kinds=SESSION_ONLY, summary="Update an existing `ApiToken`.",
              body=ApiTokenEditSchema, extra_statuses=(404,))
def edit_api_token(apiTokenId: str, body: EditApiToken) -> None:
    api_tokens.update_api_token(deps(), current_auth(), apiTokenId, body)


@bp.operation("DELETE", "/users/self/api-tokens/<apiTokenId>",
              operation_id="user-delete-api-token", status=204, kinds=SESSION_ONLY,
              summary="Deletes an ApiToken.", extra_statuses=(404,))
def delete_api_token(apiTokenId: str) -> None:
    api_tokens.delete_api_token(deps(), current_auth(), apiTokenId)
