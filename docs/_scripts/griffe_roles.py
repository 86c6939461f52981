"""A Griffe extension for the API reference: the package's docstring habits, in Markdown.

- Sphinx roles (``:func:`name```, ``:class:`~pkg.Name```) become inline code (``~`` keeps
  the last component, as Sphinx shows it); Markdown has no roles, so mkdocstrings would
  show them verbatim. Double backticks (reST literals) already read as code in Markdown.
- A reST ``::`` before a literal block becomes ``:`` (the indented block stays code).
- An attribute documented by ``#:`` comment lines right above it (the Sphinx autodoc
  convention used for the signals and the config fields) gets those lines as its docstring,
  since Griffe reads only string docstrings.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:func|class|meth|attr|data|mod|exc|obj|const):`(~?)([^`]+)`")
_LITERAL_BLOCK = re.compile(r"(\S)::$", re.MULTILINE)


def markdown_docstring(text: str) -> str:
    """``text`` with Sphinx roles as inline code and ``::`` literal-block markers as ``:``."""

    def code(match: re.Match[str]) -> str:
        target = match.group(2)
        if match.group(1):
            target = target.rsplit(".", 1)[-1]
        return f"`{target}`"

    return _LITERAL_BLOCK.sub(r"\1:", _ROLE.sub(code, text))


def comment_docstring(lines: list[str], lineno: int) -> str | None:
    """The ``#:`` comment lines right above line ``lineno`` (1-based), joined, or None."""
    found: list[str] = []
    index = lineno - 2
    while index >= 0 and lines[index].strip().startswith("#:"):
        found.insert(0, lines[index].strip()[2:].strip())
        index -= 1
    return "\n".join(found) if found else None


class SphinxRoles(griffe.Extension):
    """Adapt each docstring (or ``#:`` comment) as the object is created."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Rewrite ``obj``'s docstring, or give an attribute its ``#:`` comment."""
        if obj.docstring is None and obj.is_attribute and obj.lineno:
            try:
                text = comment_docstring(obj.lines_collection[obj.filepath], obj.lineno)
            except (KeyError, TypeError):
                text = None
            if text:
                obj.docstring = griffe.Docstring(text, lineno=obj.lineno, parent=obj)
        if obj.docstring is not None:
            obj.docstring.value = markdown_docstring(obj.docstring.value)
