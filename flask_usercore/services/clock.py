"""The services' clock: the one place where they read the current time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from ..models import utcnow


class Clock:
    """The current time as the services see it, timezone-aware in UTC: ``deps.clock()``.

    It asks :attr:`source` (by default :func:`~flask_usercore.models.utcnow`). A test moves
    the time of every service at once by replacing it, e.g.
    ``monkeypatch.setattr(deps.clock, "source", lambda: frozen)``. The models' column
    defaults keep reading ``utcnow`` itself.
    """

    __slots__ = ("source",)

    def __init__(self, source: Callable[[], dt.datetime] = utcnow) -> None:
        #: Gives the current time (aware, UTC); replaced to freeze or move it.
        self.source = source

    def __call__(self) -> dt.datetime:
        """The current time, from :attr:`source`."""
        return self.source()
