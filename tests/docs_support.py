"""Read the docs' code blocks and replay them: shell lines, ``curl`` calls and the answers
the page shows, compared with what really comes back (``tests/test_docs_snippets.py``)."""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from tests.host_support import REPOSITORY, TIMEOUT, host_env

#: Values of a doc that differ from run to run, and may: ids, codes, tokens.
_VARIABLE = re.compile(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}|\d{8}|[A-Za-z0-9_-]{40,}")
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


@dataclass(frozen=True)
class Block:
    """A fenced code block: its language, its text and the ``##`` section it is in."""

    lang: str
    text: str
    section: str


def blocks(path: Path) -> list[Block]:
    """Every fenced code block of the Markdown file ``path``, in order."""
    found: list[Block] = []
    section, lang, lines = "", None, []
    for line in path.read_text(encoding="utf-8").splitlines():
        fence = re.fullmatch(r"\s*```(\w*)\s*", line)
        if lang is None and fence:
            lang, lines = fence.group(1), []
        elif lang is not None and fence and not fence.group(1):
            found.append(Block(lang, "\n".join(lines) + "\n", section))
            lang = None
        elif lang is not None:
            lines.append(line)
        elif line.startswith("## "):
            section = line[3:].strip()
    return found


def section(path: Path, title: str) -> list[Block]:
    """The code blocks of the ``##`` section whose title starts with ``title``."""
    found = [block for block in blocks(path) if block.section.startswith(title)]
    assert found, f"{path.name} has no section {title!r} with code"
    return found


def section_text(path: Path, title: str) -> str:
    """The Markdown of one ``##`` section (up to the next one)."""
    text = path.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}.*?(?=^## |\Z)", text, re.M | re.S)
    assert match, f"{path.name} has no section {title!r}"
    return match.group(0)


@dataclass(frozen=True)
class Command:
    """One shell command of a block (continuation lines joined) and what a comment after it
    says: on its own line (``note``) or at its end (``comment``)."""

    text: str
    comment: str = ""
    notes: tuple[str, ...] = ()


def commands(block: Block) -> list[Command]:
    """The commands of a shell block, each with the comments that follow it."""
    found: list[Command] = []
    pending = ""
    for line in block.text.splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            if found and line.strip():
                last = found[-1]
                found[-1] = Command(last.text, last.comment,
                                    (*last.notes, line.strip()[1:].strip()))
            continue
        pending = f"{pending}\n{line}" if pending else line
        if pending.endswith("\\") or not _complete(pending):
            continue
        text, comment = pending, ""
        match = re.search(r"\s#\s(.*)$", pending)
        if match and _complete(pending[:match.start()]):
            text, comment = pending[:match.start()].rstrip(), match.group(1).strip()
        found.append(Command(text, comment))
        pending = ""
    assert not pending, f"an unfinished command: {pending!r}"
    return found


def _complete(text: str) -> bool:
    try:
        shlex.split(text)
    except ValueError:  # an open quote: the command goes on
        return False
    return True


class Shell:
    """A reader's shell in ``directory``: this checkout's Python environment on ``PATH``,
    ``export`` remembered between commands."""

    def __init__(self, directory: Path, **env: str) -> None:
        self.directory = directory
        bin_dir = str(Path(sys.executable).parent)
        self.env = host_env(directory, PATH=os.pathsep.join([bin_dir, os.environ["PATH"]]),
                            **env)

    def __call__(self, command: str, *, status: int | None = 0
                 ) -> subprocess.CompletedProcess[str]:
        """Run ``command`` (``export`` lines set the environment); a ``status`` other than
        None must be the exit status."""
        exported = re.fullmatch(r"export (\w+)=(\S+)", command.strip())
        if exported:
            self.env[exported.group(1)] = exported.group(2)
            return subprocess.CompletedProcess(command, 0, "", "")
        result = subprocess.run(["bash", "-c", command], cwd=self.directory, env=self.env,
                                capture_output=True, text=True, timeout=TIMEOUT, check=False)
        if status is not None:
            assert result.returncode == status, (
                f"{command!r} exited with {result.returncode}, not {status}:\n"
                f"{result.stdout}\n{result.stderr}")
        return result


@dataclass
class Answer:
    """An HTTP answer: status line, headers (names in lower case), body."""

    status_line: str
    headers: dict[str, str]
    body: str

    @property
    def status(self) -> int:
        return int(self.status_line.split()[1])

    def json(self) -> Any:
        return json.loads(self.body)


def parse_answer(text: str) -> Answer:
    """``curl -i`` output, or an answer as a page shows it."""
    text = text.replace("\r\n", "\n")
    head, _, body = text.partition("\n\n")
    status_line, *lines = head.strip("\n").splitlines()
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Answer(status_line.strip(), headers, body.strip())


@dataclass
class Learned:
    """What the page's example values stand for in this run (doc value -> real value)."""

    values: dict[str, str] = field(default_factory=dict)

    def apply(self, text: str) -> str:
        for shown in sorted(self.values, key=len, reverse=True):
            text = text.replace(shown, self.values[shown])
        return text

    def learn(self, shown: str, real: str, where: str = "") -> None:
        assert _VARIABLE.fullmatch(shown) and _VARIABLE.fullmatch(real), (where, shown, real)
        known = self.values.setdefault(shown, real)
        assert known == real, f"{where}: the page's {shown} stands for {known} and {real}"

    def match_json(self, shown: Any, real: Any, where: str = "") -> None:
        """``real`` has the page's shape and values; ids, codes and tokens may differ (they
        are learned), times are any time."""
        if isinstance(shown, dict):
            assert isinstance(real, dict) and sorted(shown) == sorted(real), (where, shown, real)
            for key in shown:
                self.match_json(shown[key], real[key], f"{where}.{key}")
        elif isinstance(shown, list):
            assert isinstance(real, list) and len(shown) == len(real), (where, shown, real)
            for index, (one, other) in enumerate(zip(shown, real, strict=True)):
                self.match_json(one, other, f"{where}[{index}]")
        elif isinstance(shown, str) and shown != real and _TIMESTAMP.fullmatch(shown):
            assert isinstance(real, str) and _TIMESTAMP.fullmatch(real), (where, real)
        elif isinstance(shown, str) and (shown != real or shown in self.values):
            assert isinstance(real, str), (where, shown, real)
            self.learn(shown, real, where)
        else:
            assert shown == real, (where, shown, real)

    def match_answer(self, shown: Answer, real: Answer, where: str) -> None:
        """Status line, every header the page shows, and the body."""
        assert real.status_line == shown.status_line, (where, real)
        for name, value in shown.headers.items():
            assert real.headers.get(name) == self.apply(value), (where, name, real.headers)
        if not shown.body:
            assert not real.body, (where, real.body)
        else:
            self.match_json(json.loads(shown.body), real.json(), where)


def parse_mail(text: str | bytes) -> EmailMessage:
    """An RFC 5322 message (a page's or an ``.eml`` file's)."""
    if isinstance(text, bytes):
        message = email.message_from_bytes(text, policy=email.policy.default)
    else:
        message = email.message_from_string(text, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def parts(message: EmailMessage) -> dict[str, str]:
    """The text parts of a message by content type."""
    return {part.get_content_type(): str(part.get_content())
            for part in message.walk() if part.get_content_maintype() == "text"}


def lines_in_order(shown: str, real: str) -> bool:
    """Every non-blank line of ``shown`` is a line of ``real``, in the same order."""
    remaining = iter([line.strip() for line in real.splitlines()])
    return all(any(line == other for other in remaining)
               for line in (line.strip() for line in shown.splitlines()) if line)


def newest(directory: Path, pattern: str) -> Path:
    """The most recently written file of ``directory`` matching ``pattern``."""
    files = sorted(directory.glob(pattern), key=lambda path: path.stat().st_mtime_ns)
    assert files, f"nothing matches {pattern} in {directory}"
    return files[-1]


README = REPOSITORY / "README.md"
QUICKSTART = REPOSITORY / "docs" / "quickstart.md"
HOOKS = REPOSITORY / "docs" / "hooks-and-signals.md"
