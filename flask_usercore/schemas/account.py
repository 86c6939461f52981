"""Body of ``DELETE /v2/users/self``."""

from __future__ import annotations

from .base import InputSchema
from .text import text


class DeleteAccountSchema(InputSchema):
    """``{password, multiFactorCode?}``; the password may come in ``x-apitree-password``."""

    password = text(4096, min_length=1)
    multi_factor_code = text(16, min_length=6, data_key="multiFactorCode")
