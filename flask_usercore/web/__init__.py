"""The web core: how a request reaches a service and how its answer leaves.

- :mod:`.transport`: where a token travels (``x-access-token``, ``Authorization: Bearer``,
  the ``x-access-token`` cookie) and the cookie's origin check;
- :mod:`.authenticator`: the one authenticator, a presented token to an
  :class:`~flask_usercore.services.context.Auth`; every entrance goes through it;
- :mod:`.loading`: the request's body and query, loaded by the declared schemas into
  commands; the password confirmation (body or ``x-apitree-password``);
- :mod:`.operation`: the operation record, its declaration and the wrapper that runs it in
  one unit of work (:mod:`flask_usercore.runtime.unit_of_work`).
"""

from .authenticator import authenticate, current_auth, request_auth
from .loading import PASSWORD_HEADER, client_info
from .operation import (
    AfterResponse,
    Answer,
    CapabilityBlueprint,
    Documented,
    Operation,
    Page,
    Reply,
    deps,
    empty,
)
from .transport import COOKIE_NAME

__all__ = ["COOKIE_NAME", "PASSWORD_HEADER", "AfterResponse", "Answer", "CapabilityBlueprint",
           "Documented", "Operation", "Page", "Reply", "authenticate", "client_info",
           "current_auth", "deps", "empty", "request_auth"]
