"""The query of the paginated lists (api-tokens, sessions, ssh-keys): ``limit``, ``skip``,
``page``.

``skip`` wins over ``page`` when both are given (the document says so); ``page`` counts from
1 (``0`` is the first page too), as the ``X-Pagination-Page`` header does. Without ``limit`` a
page holds :data:`DEFAULT_LIMIT` items; ``limit=0`` answers no items, only the headers (the
total count).
"""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, fields, post_load
from marshmallow.validate import Range

from ..commands.pagination import PageRequest
from .base import InputSchema

#: Items per page when the query has no ``limit``.
DEFAULT_LIMIT = 100
#: The largest ``limit`` accepted.
MAX_LIMIT = 1000
#: The largest ``skip`` and ``page`` accepted: far beyond any list, and small enough that the
#: ``OFFSET`` they make fits every database's integer (a 400, not a driver's overflow).
MAX_POSITION = 2**31 - 1


class PageQuery(InputSchema):
    """Loads to a :class:`~flask_usercore.commands.pagination.PageRequest`; other query
    parameters are ignored."""

    class Meta:
        unknown = EXCLUDE

    command = PageRequest

    limit = fields.Integer(strict=False, validate=Range(min=0, max=MAX_LIMIT))
    skip = fields.Integer(strict=False, validate=Range(min=0, max=MAX_POSITION))
    page = fields.Integer(strict=False, validate=Range(min=0, max=MAX_POSITION))

    @post_load
    def _to_command(self, data: dict[str, Any], **kwargs: Any) -> PageRequest:
        """The command, with ``page`` turned into ``skip`` (in place of
        ``InputSchema``'s hook of the same name: no second hook whose order would matter)."""
        limit: int = data.get("limit", DEFAULT_LIMIT)
        skip: int | None = data.get("skip")
        if skip is None:
            page: int = data.get("page") or 1
            skip = (page - 1) * limit
        return PageRequest(limit=limit, skip=skip)
