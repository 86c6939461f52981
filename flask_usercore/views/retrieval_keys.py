"""Log in with an access-token retrieval key (public, rate-limited)."""

from __future__ import annotations

from typing import Any

from ..commands.retrieval_keys import RetrievalKeyLogin
from ..schemas.retrieval_keys import RetrievalKeySchema
from ..schemas.sessions import RefreshResult
from ..services import retrieval_keys
from ..web import CapabilityBlueprint, client_info, deps

bp = CapabilityBlueprint("retrieval_keys", __name__)


@bp.operation("POST", "/authenticate-token-retrieval-key",
              operation_id="user-authenticate-with-access-token-retrieval-key", kinds=(),
              summary="Authenticate an user with an access token retrieval key.",
              body=RetrievalKeySchema, response=RefreshResult, extra_statuses=(400,),
              rate_limit_group="retrieval-key")
def authenticate_with_key(body: RetrievalKeyLogin) -> dict[str, Any]:
    issued = retrieval_keys.authenticate_with_key(deps(), body, client_info())
    return {"token": issued.token, "refresh_token": issued.refresh_token,
            "expires_at": issued.expires}
