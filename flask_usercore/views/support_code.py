"""``GET /v2/users/self/credentials/support-code``."""

from __future__ import annotations

from ..commands.support_code import SupportCodeRequest
from ..schemas.support_code import SupportCodeQuery, SupportCodeResult
from ..services import support_code
from ..services.access import SESSION_ONLY
from ..services.support_code import SupportCode
from ..web import CapabilityBlueprint, current_auth, deps

bp = CapabilityBlueprint("support_code", __name__)


@bp.operation("GET", "/users/self/credentials/support-code",
              operation_id="user-support-code-request", kinds=SESSION_ONLY,
              summary="Request a support code.", query=SupportCodeQuery,
              response=SupportCodeResult, writes=True)
def get_support_code(query: SupportCodeRequest) -> SupportCode:
    return support_code.support_code(deps(), current_auth().user,
                                     force_recreate=query.force_recreate)
