"""Input hygiene of the OAuth2 requests: error descriptions never carry what a request sent.

RFC 6749 allows only printable ASCII in an error description, and Authlib refuses to build an
error whose description has anything else (a 500): our descriptions are fixed texts, reduced
to those characters (:func:`ascii_text`), and never repeat a parameter's value.

Nothing here imports Authlib (``views.py`` imports this module at start).
"""

from __future__ import annotations


def ascii_text(text: str) -> str:
    """``text`` reduced to what RFC 6749 allows in an error description: printable ASCII
    without ``"`` and ``\\`` (``%x20-21 / %x23-5B / %x5D-7E``)."""
    return "".join(c for c in text if 0x20 <= ord(c) <= 0x7E and c not in '"\\')
