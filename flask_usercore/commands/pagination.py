"""The page a list operation is asked for (``?limit=&skip=&page=``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PageRequest:
    """``limit`` items after the first ``skip`` (``page`` is already turned into ``skip``;
    ``limit=0``: no items, only the count)."""

    limit: int
    skip: int
