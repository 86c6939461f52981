"""Body of ``DELETE /v2/users/self``."""

from __future__ import annotations

from ..commands.account import DeleteAccount
from .base import InputSchema
from .mfa import multi_factor_code
from .text import text


class DeleteAccountSchema(InputSchema):
    """``{password, multiFactorCode?}``; the password may come in ``x-apitree-password``."""

    command = DeleteAccount
    password = text(4096, min_length=1)
    multi_factor_code = multi_factor_code()
