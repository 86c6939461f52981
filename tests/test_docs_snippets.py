"""The docs' snippets, run: what a reader copies must work and print what the page shows.

docs/quickstart.md: its ``yourapp.py`` is written into a new directory and driven with the
page's own shell lines (``flask usercore db upgrade``, ``create-user``, Flask-Migrate), its
fragments run inside that app, and its walk-through is replayed with ``curl`` against
``flask run``, each answer compared with the one the page shows (ids, codes, tokens and
times differ per run and are followed through). README.md: its host app and its ``curl``
walk, against that app and against the example app of its first command. docs/hooks-and-
signals.md: the SMTP mailer against an SMTP server, the SMS gateway against an HTTP server,
the signal receivers, what a failing mailer or receiver does, the signal table against the
signals there are. docs/deployment.md: ProxyFix and the JSON request log. Not run: what
needs a service the tests do not have (S3, RQ with Redis, gunicorn's command line, cron).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import shlex
import socketserver
import textwrap
import threading
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from flask_usercore import Mail, signals
from flask_usercore.hooks import recipient_ref
from flask_usercore.migrations import head
from tests.api.resource_helpers import signed_in
from tests.conftest import PASSWORD, Mailbox
from tests.docs_support import (
    HOOKS,
    QUICKSTART,
    README,
    Block,
    Learned,
    Shell,
    commands,
    lines_in_order,
    newest,
    parse_answer,
    parse_mail,
    parts,
    section,
    section_text,
)
from tests.host_support import REPOSITORY, served

UUID = re.compile(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}")


def _python(blocks: list[Block], index: int = 0) -> str:
    return [block for block in blocks if block.lang == "python"][index].text


def _shell(blocks: list[Block], index: int = 0) -> Block:
    return [block for block in blocks if block.lang == "sh"][index]


@pytest.fixture
def quickstart_app(tmp_path: Path) -> Path:
    """A directory with the quickstart's ``yourapp.py`` (section 2)."""
    (tmp_path / "yourapp.py").write_text(_python(section(QUICKSTART, "2.")))
    return tmp_path


# -- docs/quickstart.md ------------------------------------------------------------------


def test_quickstart_tables_and_a_user_from_the_shell(quickstart_app: Path) -> None:
    shell = Shell(quickstart_app)
    export, upgrade = commands(_shell(section(QUICKSTART, "3.")))
    shell(export.text)
    printed = shell(upgrade.text).stdout
    assert upgrade.comment == f"prints the newest revision: {printed.strip()}"
    assert printed == f"{head()} (head)\n"
    assert shell(upgrade.text).stdout == printed  # again: a no-op
    # the migration from code, in the app
    code = _python(section(QUICKSTART, "3."))
    script = f"from yourapp import create_app\napp = create_app()\n{code}print('ok')\n"
    assert shell(f"python -c {shlex.quote(script)}").stdout == "ok\n"

    blocks = section(QUICKSTART, "4.")
    [create] = commands(_shell(blocks, 0))
    assert UUID.fullmatch(shell(create.text).stdout.strip())
    assert create.notes[0].startswith("prints the new user's id, e.g. ")
    [refusals] = [block for block in blocks if block.lang == "text"]
    in_use, too_short = refusals.text.splitlines()
    assert shell(create.text, status=1).stderr == in_use + "\n"
    [short] = commands(_shell(blocks, 1))
    assert shell(short.text, status=1).stderr == too_short + "\n"


def test_quickstart_your_tables_beside_ours_with_flask_migrate(tmp_path: Path) -> None:
    blocks = section(QUICKSTART, "5.")
    (tmp_path / "yourapp.py").write_text(_python(blocks, 0))
    shell = Shell(tmp_path, FLASK_APP="yourapp:create_app")
    steps = commands(_shell(blocks))
    assert [step.text.split("#")[0].split()[:3] for step in steps] == [
        ["flask", "usercore", "db"], ["flask", "db", "init"], ["flask", "db", "migrate"],
        ["flask", "db", "upgrade"], ["flask", "db", "migrate"]]
    outputs = [shell(step.text) for step in steps]
    assert outputs[0].stdout == f"{head()} (head)\n"
    detected = [line for line in outputs[2].stderr.splitlines() if "Detected" in line]
    assert detected == ["INFO  [alembic.autogenerate.compare.tables] Detected added table "
                        "'note'"], outputs[2].stderr
    assert steps[2].comment.startswith("Detected added table 'note'")
    assert steps[4].comment == "No changes in schema detected."
    assert steps[4].comment in outputs[4].stderr
    [revision] = (tmp_path / "migrations" / "versions").glob("*.py")
    text = section_text(QUICKSTART, "5.")
    constraint = re.search(r"`(sa\.ForeignKeyConstraint\([^`]+\))`", text)
    assert constraint and constraint.group(1) in revision.read_text()
    assert "drop_table" not in revision.read_text().split("def downgrade")[0]
    # the Note of the page reaches its user, and goes with the account
    script = textwrap.dedent("""
        from flask_usercore.migrations import upgrade
        from yourapp import Note, User, create_app, db
        app = create_app()
        with app.app_context():
            user = db.session.scalars(db.select(User)).one()
            db.session.add(Note(user_id=user.id, text="hello"))
            db.session.commit()
            print(db.session.scalars(db.select(Note)).one().user.email)
    """)
    shell("flask usercore create-user --email ada@example.com --first-name Ada "
          f"--last-name Lovelace --password '{PASSWORD}' --verified")
    assert shell(f"python -c {shlex.quote(script)}").stdout == "ada@example.com\n"


def test_quickstart_plain_alembic_lines_are_those_the_alembic_host_runs() -> None:
    """tests/test_host_migrate.py runs a plain Alembic host with exactly these lines."""
    code = _python(section(QUICKSTART, "5."), 1)
    assert "from flask_usercore.migrations import host_include_name, host_include_object\n" \
        in code
    assert "include_name=host_include_name, include_object=host_include_object," in code
    host_test = (Path(__file__).parent / "test_host_migrate.py").read_text()
    assert '"from flask_usercore.migrations import host_include_name, host_include_object' \
        in host_test
    assert '"            include_name=host_include_name, include_object=host_include_object' \
        in host_test


_FRAGMENTS = '''
import json, re
from pathlib import Path
from yourapp import create_app, db, usercore

app = create_app()
with app.app_context():
    from flask_usercore.migrations import upgrade
    upgrade()
for fragment in {fragments!r}:  # each as a reader adds it to create_app, alone
    exec(fragment, {{"app": app, "usercore": usercore}})
client = app.test_client()
client.post("/v2/register", json={{"email": "ada@example.com", "password": {password!r},
            "person": {{"firstName": "Ada", "lastName": "Lovelace"}}}})
mail = max(Path("outbox").glob("*.eml"), key=lambda p: p.stat().st_mtime_ns).read_text()
user_id = re.search(r'"userId": "([^"]+)"', mail).group(1)
code = re.search(r"code is: (\\d+)", mail).group(1)
client.post("/v2/verify-registration", json={{"email": "ada@example.com", "userId": user_id,
            "token": code}})
token = client.post("/v2/authenticate", json={{"email": "ada@example.com",
                    "password": {password!r}}}).json["token"]
answers = {{}}
for method, path, headers in [
        ("GET", "/dashboard", {{"x-access-token": token}}),
        ("PUT", "/profile-card", {{"Authorization": "Bearer " + token}}),
        ("GET", "/reports", {{"Authorization": "Bearer " + token}}),
        ("GET", "/dashboard", {{}}),
        ("GET", "/v2/openapi.json", {{}}),
        ("GET", "/v2/nothing-here", {{}}),
        ("GET", "/nothing-here", {{}})]:
    response = client.open(path, method=method, headers=headers)
    answers[f"{{method}} {{path}} {{bool(headers)}}"] = [
        response.status_code, response.mimetype,
        response.json if response.mimetype == "application/json" and len(response.data) < 500
        else None]
print(json.dumps({{"userId": user_id, "answers": answers}}))
'''


def _run_fragments(directory: Path, fragments: list[str] | None = None) -> Any:
    script = _FRAGMENTS.format(fragments=fragments or [], password=PASSWORD)
    (directory / "fragments.py").write_text(script)
    return json.loads(Shell(directory)("python fragments.py").stdout)


def test_quickstart_views_behind_our_tokens_and_flask_login(quickstart_app: Path) -> None:
    blocks = section(QUICKSTART, "7.")
    result = _run_fragments(quickstart_app, [_python(blocks, 0), _python(blocks, 1)])
    answers = result["answers"]
    assert answers["GET /dashboard True"] == [
        200, "application/json", {"hello": "Ada", "email": "ada@example.com"}]
    assert answers["PUT /profile-card True"] == [
        200, "application/json", {"card": "Ada Lovelace"}]
    assert answers["GET /reports True"] == [
        200, "application/json", {"user": result["userId"], "email": "ada@example.com"}]
    status, mimetype, body = answers["GET /dashboard False"]
    assert (status, mimetype, body["type"]) == (401, "application/json", "Unauthorized")
    assert answers["GET /v2/openapi.json False"][:2] == [200, "application/json"]


def test_quickstart_registering_the_blueprint_yourself(quickstart_app: Path) -> None:
    factory = _python(section(QUICKSTART, "6."))
    module = quickstart_app / "yourapp.py"
    source = module.read_text()
    module.write_text(source[:source.index("def create_app")] + factory)
    answers = _run_fragments(quickstart_app)["answers"]
    assert answers["GET /v2/openapi.json False"][:2] == [200, "application/json"]
    assert answers["GET /v2/nothing-here False"][:2] == [404, "application/json"]
    assert answers["GET /nothing-here False"][:2] == [404, "text/html"]  # the host's page


def test_quickstart_walk_through_with_curl(quickstart_app: Path) -> None:
    shell = Shell(quickstart_app, FLASK_APP="yourapp:create_app")
    shell("flask usercore db upgrade")
    blocks = section(QUICKSTART, "8.")
    assert blocks[0].text == "flask run --port 5000\n"  # started here on a free port
    text = section_text(QUICKSTART, "8.")
    shown_file = re.search(r"`outbox/(\S+\.eml)`", text)
    assert shown_file
    learned = Learned()
    last: Any = None
    with served(quickstart_app, "yourapp:create_app") as address:
        for number, block in enumerate(blocks[1:], 1):
            where = f"block {number} of section 8"
            if block.lang == "sh":
                [command] = commands(block)
                line = learned.apply(command.text).replace("localhost:5000", address)
                output = shell(line).stdout
                last = parse_answer(output) if line.startswith("curl ") else output
            elif block.lang == "http":
                real = last
                learned.match_answer(parse_answer(block.text), real, where)
            elif block.text.startswith("From:"):
                eml = newest(quickstart_app / "outbox", "*.eml")
                names = _outbox_names()
                assert names.fullmatch(eml.name) and names.fullmatch(shown_file.group(1))
                _match_mail(learned, parse_mail(block.text), parse_mail(eml.read_bytes()))
            else:  # what the grep one-liner printed
                assert last == learned.apply(block.text), (where, last)


def _outbox_names() -> re.Pattern[str]:
    """The names of ``FileOutboxMailer``'s files, as docs/hooks-and-signals.md states them."""
    stated = re.search(r"file `(YYYY[^`]+\.eml)`", section_text(HOOKS, "Hooks"))
    assert stated, "hooks-and-signals.md no longer names the outbox files"
    pattern = re.escape(stated.group(1))
    for shown, regex in (("YYYYmmdd", r"\d{8}"), ("HHMMSS", r"\d{6}"), ("ffffff", r"\d{6}"),
                         (re.escape("<12 hex digits>"), "[0-9a-f]{12}")):
        pattern = pattern.replace(shown, regex)
    return re.compile(pattern)


def _match_mail(learned: Learned, shown: Any, real: Any) -> None:
    for header in ("From", "To", "Subject", "MIME-Version"):
        assert real[header] == shown[header], header
    assert real.get_content_type() == shown.get_content_type() == "multipart/alternative"
    shown_parts, real_parts = parts(shown), parts(real)
    assert list(real_parts) == list(shown_parts) == ["text/plain", "text/html"]
    code = re.search(r"code is: (\d+)", real_parts["text/plain"])
    shown_code = re.search(r"code is: (\d+)", shown_parts["text/plain"])
    assert code and shown_code
    learned.learn(shown_code.group(1), code.group(1), "the mail's code")
    for kind in shown_parts:
        assert lines_in_order(learned.apply(shown_parts[kind]), real_parts[kind]), (
            kind, real_parts[kind])


# -- README.md ---------------------------------------------------------------------------


def _readme_walk(directory: Path, address: str) -> None:
    """The README's curl walk, its ``<userId>``, ``<code>`` and ``<token>`` taken from
    where its comments say, each status as its comment says."""
    [block] = section(README, "Try it with curl")
    shell = Shell(directory)
    values: dict[str, str] = {}
    steps = commands(block)
    assert len(steps) == 6
    for step in steps:
        line = step.text.replace("localhost:5000", address)
        for name, value in values.items():
            line = line.replace(f"<{name}>", value)
        assert "<" not in line, line
        output = shell(line).stdout
        if not line.startswith("curl "):  # the code, from the newest mail
            assert step.notes[0].startswith("code is: 12345678, that number is <code>")
            code = re.fullmatch(r"code is: (\d+)\n", output)
            assert code, output
            values["code"] = code.group(1)
            continue
        answer = parse_answer(output)
        expected = re.match(r"(\d{3})\b", step.notes[0])
        assert expected and answer.status == int(expected.group(1)), (line, output)
        if "/register" in line:
            assert "that id is <userId> below" in step.notes[0]
            values["userId"] = answer.json()["userId"]
        if "/authenticate" in line:
            assert "that token is <token> below" in step.notes[0]
            values["token"] = answer.json()["token"]
        if answer.status == 204:
            assert answer.body == ""
    assert sorted(values) == ["code", "token", "userId"]


def test_readme_host_app_and_its_curl_walk(tmp_path: Path) -> None:
    (tmp_path / "yourapp.py").write_text(_python(section(README, "Use it in your app")))
    text = section_text(README, "Use it in your app")
    upgrade, run = re.findall(r"`(flask --app yourapp [^`]+)`", text)
    assert (upgrade, run) == ("flask --app yourapp usercore db upgrade",
                              "flask --app yourapp run")
    assert Shell(tmp_path)(upgrade).stdout == f"{head()} (head)\n"
    with served(tmp_path, "yourapp") as address:
        _readme_walk(tmp_path, address)


def test_readme_example_app_answers_at_its_root_and_walks(tmp_path: Path) -> None:
    first = README.read_text().split("```")[1]
    assert "flask --app example_app run" in first
    assert "<http://127.0.0.1:5000/>" in README.read_text()
    env = Shell(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'example.db'}").env
    with served(tmp_path, "example_app", env=env) as address:
        root = Shell(tmp_path)(f"curl -s -i {address}/").stdout
        answer = parse_answer(root)
        assert answer.status == 200
        assert answer.json()["api"] == "/v2" and answer.json()["openapi"] == "/v2/openapi.json"
        assert answer.json()["account"] == "/account/"
        assert "the account pages,\n`/account/`" in README.read_text()
        account = parse_answer(Shell(tmp_path)(f"curl -s -i {address}/account/").stdout)
        assert account.status == 303  # the pages are on: to their sign-in page
        page = Shell(tmp_path)(f"curl -s -i -H 'Accept: text/html' {address}/").stdout
        assert parse_answer(page).status == 200 and 'href="/account/"' in page
        _readme_walk(tmp_path, address)


# -- docs/hooks-and-signals.md -----------------------------------------------------------


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for ``smtplib``: every message is kept whole."""

    def handle(self) -> None:
        server: Any = self.server
        self.wfile.write(b"220 test ESMTP\r\n")
        while line := self.rfile.readline():
            verb = line.split(b" ")[0].strip().upper()
            if verb == b"DATA":
                self.wfile.write(b"354 go on\r\n")
                data = b""
                while (chunk := self.rfile.readline()) != b".\r\n":
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                server.messages.append(data)
                self.wfile.write(b"250 kept\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:  # EHLO, MAIL, RCPT, RSET, NOOP
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp_server() -> Iterator[Any]:
    server: Any = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SmtpHandler)
    server.messages = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def test_the_smtp_mailer_of_the_docs_sends_text_and_html(
        make_app: Callable[..., Flask], smtp_server: Any) -> None:
    [code] = [block.text for block in section(HOOKS, "Hooks")
              if block.lang == "python" and "class SmtpMailer" in block.text]
    namespace: dict[str, Any] = {}
    exec(code, namespace)  # noqa: S102 - the page's class, as a reader pastes it
    mailer = namespace["SmtpMailer"]("127.0.0.1", smtp_server.server_address[1])
    app = make_app(mailer=mailer)
    response = app.test_client().post("/v2/register", json={
        "email": "ada@example.com", "password": PASSWORD,
        "person": {"firstName": "Ada", "lastName": "Lovelace"}})
    assert response.status_code == 201
    [raw] = smtp_server.messages
    message = parse_mail(raw)
    assert message["To"] == "ada@example.com"
    assert message.get_content_type() == "multipart/alternative"
    texts = parts(message)
    assert list(texts) == ["text/plain", "text/html"]
    assert "your verification code is:" in texts["text/plain"]
    assert "<strong" in texts["text/html"]


def test_mail_has_the_fields_the_docs_name() -> None:
    text = section_text(HOOKS, "Hooks")
    names = [f.name for f in dataclasses.fields(Mail)]
    assert names == ["to", "subject", "body", "html"]
    assert ("is a frozen dataclass with four fields: `to`, `subject`,\n`body` (the plain text) "
            "and `html`") in text


class _FlakyMailer(Mailbox):
    """Raises while ``down``, then keeps what it sends."""

    down = True

    def send(self, mail: Mail) -> None:
        if self.down:
            raise OSError("the mail server is down")
        super().send(mail)


def test_a_raising_mailer_leaves_the_account_standing_and_signals_delivery_failed(
        make_app: Callable[..., Flask], caplog: pytest.LogCaptureFixture) -> None:
    mailer = _FlakyMailer()
    app = make_app(mailer=mailer)
    failed: list[tuple[str, str, bool]] = []

    def receiver(sender: Flask, mail: Mail, error: Exception, **extra: Any) -> None:
        failed.append((mail.to, type(error).__name__, mail.html is not None))

    signals.delivery_failed.connect(receiver, sender=app)
    try:
        with caplog.at_level(logging.ERROR, logger="flask_usercore"):
            response = app.test_client().post("/v2/register", json={
                "email": "ada@example.com", "password": PASSWORD,
                "person": {"firstName": "Ada", "lastName": "Lovelace"}})
    finally:
        signals.delivery_failed.disconnect(receiver, sender=app)
    assert response.status_code == 201
    assert failed == [("ada@example.com", "OSError", True)]
    assert (f"mail 'Verify your registration' to {recipient_ref('ada@example.com')} could "
            "not be delivered: OSError") in caplog.text
    assert "the mail server is down" not in caplog.text
    assert "ada@example.com" not in caplog.text  # the address is never logged
    text = section_text(HOOKS, "Hooks")
    assert "**If `send` raises, the operation still\nsucceeds**" in text
    assert "could not be\ndelivered: OSError (outbox message" in text
    # the account stands: its code can be sent again (to a mailer that works now)
    mailer.down = False
    resent = app.test_client().post(
        "/v2/users/self/credentials/email/actions/resend-email",
        json={"email": "ada@example.com", "userId": response.json["userId"]})
    assert resent.status_code == 204
    assert mailer.last_code("ada@example.com")


def _register(client: FlaskClient) -> Any:
    return client.post("/v2/register", json={
        "email": f"{uuid.uuid4().hex[:8]}@example.com", "password": PASSWORD,
        "person": {"firstName": "Ada", "lastName": "Lovelace"}})


def test_receivers_after_the_commit_are_logged_those_at_once_fail_the_request(
        app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    def broken(sender: Flask, **extra: Any) -> None:
        raise RuntimeError("a receiver broke")

    signals.user_registered.connect(broken, sender=app)
    signals.login_failed.connect(broken, sender=app)
    try:
        with caplog.at_level(logging.ERROR, logger="flask_usercore"):
            registered = _register(client)
            login = client.post("/v2/authenticate", json={"email": "nobody@example.com",
                                                          "password": "wrong password"})
    finally:
        signals.user_registered.disconnect(broken, sender=app)
        signals.login_failed.disconnect(broken, sender=app)
    assert registered.status_code == 201
    assert any(m.startswith("an after-commit action failed") for m in caplog.messages)
    assert login.status_code == 500
    assert login.json["type"] == "InternalServerError"
    text = HOOKS.read_text()
    assert "a receiver that raises is logged on the\n`flask_usercore` logger" in text
    assert "(`an after-commit action failed`, with the traceback) and the answer\nstands" in text
    assert "fails anyway: `login_failed`, `mfa_failed`, `session_reused`" in text


def test_the_signal_table_lists_every_signal() -> None:
    rows = re.findall(r"^\| `(\w+)` \(`([\w-]+)`\) \|", HOOKS.read_text(), re.M)
    documented = dict(rows)
    assert len(rows) == len(documented)
    defined = {name: value.name for name, value in vars(signals).items()
               if isinstance(value, type(signals.user_registered))}
    assert documented == defined


class _GatewayHandler(BaseHTTPRequestHandler):
    """An SMS gateway: keeps each POST, answers with the server's ``status``."""

    def do_POST(self) -> None:
        server: Any = self.server
        body = self.rfile.read(int(self.headers["Content-Length"]))
        server.posts.append((self.path, self.headers["Authorization"], json.loads(body)))
        self.send_response(server.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def sms_gateway() -> Iterator[Any]:
    server: Any = ThreadingHTTPServer(("127.0.0.1", 0), _GatewayHandler)
    server.posts, server.status = [], 200
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def test_the_sms_gateway_of_the_docs_posts_and_a_refusal_is_only_logged(
        make_app: Callable[..., Flask], sms_gateway: Any, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    [code] = [block.text for block in section(HOOKS, "Hooks")
              if block.lang == "python" and "class GatewaySms" in block.text]
    monkeypatch.setenv("SMS_API_KEY", "key-from-the-environment")
    namespace: dict[str, Any] = {"db": object(), "UserCore": lambda **hooks: hooks}
    exec(code, namespace)  # noqa: S102 - the page's code, as a reader pastes it
    namespace["usercore"]["sms_sender"].client.close()
    sender = namespace["GatewaySms"](f"http://127.0.0.1:{sms_gateway.server_port}/v1",
                                     "key-from-the-environment")
    try:
        app = make_app({"USERCORE_SMS_RATELIMIT": ""}, sms_sender=sender)
        client = app.test_client()
        headers = signed_in(client, app.extensions["usercore"].deps.mailer)
        added = client.post("/v2/users/self/phone", json={"phoneNumber": "+491701234567"},
                            headers=headers)
        assert added.status_code == 204
        [(path, authorization, body)] = sms_gateway.posts
        assert (path, authorization) == ("/v1/messages", "Bearer key-from-the-environment")
        assert body["from"] == "Example" and body["to"] == "+491701234567"
        assert re.fullmatch(r"Your verification code is: \d{6}", body["text"])

        sms_gateway.status = 500
        with caplog.at_level(logging.ERROR, logger="flask_usercore"):
            again = client.post("/v2/users/self/phone", json={"phoneNumber": "+491701234567"},
                                headers=headers)
        assert again.status_code == 204  # the gateway's refusal is logged, not answered
        assert len(sms_gateway.posts) == 2
        new_code = sms_gateway.posts[1][2]["text"].rsplit(" ", 1)[1]
        assert (f"SMS to {recipient_ref('+491701234567')} could not be delivered: "
                "HTTPStatusError") in caplog.text
        assert new_code not in caplog.text and "+491701234567" not in caplog.text
    finally:
        sender.client.close()


_LOGGING = '''
import json, re
from pathlib import Path

from flask_usercore.migrations import upgrade
from yourapp import create_app

app = create_app()
{proxy}
{logging}
with app.app_context():
    upgrade()
client = app.test_client()
client.post("/v2/register", json={{"email": "ada@example.com", "password": {password!r},
            "person": {{"firstName": "Ada", "lastName": "Lovelace"}}}})
mail = next(Path("outbox").glob("*.eml")).read_text()
client.post("/v2/verify-registration", json={{"email": "ada@example.com",
            "userId": re.search(r'"userId": "([^"]+)"', mail).group(1),
            "token": re.search(r"code is: (\\d+)", mail).group(1)}})
token = client.post("/v2/authenticate", json={{"email": "ada@example.com",
                    "password": {password!r}}}).json["token"]
print("-- the requests")
proxied = {{"X-Forwarded-For": "203.0.113.9", "X-Request-ID": "edge-7f3a"}}
client.get("/v2/users/self", headers=proxied)
client.get("/v2/users/self?secret=in-the-query", headers={{**proxied, "x-access-token": token}})
'''


def test_deployment_proxy_and_json_logging_of_the_docs(quickstart_app: Path) -> None:
    deployment = REPOSITORY / "docs" / "deployment.md"
    [proxy] = [b.text for b in section(deployment, "Several hosts") if b.lang == "python"]
    [config] = [b.text for b in section(deployment, "Logging") if b.lang == "python"]
    [example] = [b.text for b in section(deployment, "Logging") if b.lang == "json"]
    (quickstart_app / "logs.py").write_text(_LOGGING.format(proxy=proxy, logging=config,
                                                            password=PASSWORD))
    output = Shell(quickstart_app)("python logs.py").stdout
    lines = output.split("-- the requests\n", 1)[1].splitlines()
    refused, read = [json.loads(line) for line in lines]
    assert refused["message"] == "GET /v2/users/<userId> 401 client_error"
    assert "The message is `GET /v2/users/<userId> 401 client_error`." in \
        section_text(deployment, "Logging")
    shown = json.loads(example)
    assert sorted(read) == sorted(shown)
    for key in ("level", "logger", "message", "request_id", "operation_id", "method", "route",
                "path", "status", "outcome", "credential_kind", "client_ip"):
        assert read[key] == shown[key], key
    assert "secret" not in output and "in-the-query" not in output


class _Metrics:
    def __init__(self) -> None:
        self.counted: list[tuple[str, dict[str, str]]] = []

    def increment(self, name: str, tags: dict[str, str]) -> None:
        self.counted.append((name, tags))


def test_the_signal_receivers_of_the_docs(
        app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    [code] = [block.text for block in section(HOOKS, "Signals")
              if block.lang == "python" and "connect_via(app)" in block.text]
    metrics = _Metrics()
    namespace: dict[str, Any] = {"app": app, "metrics": metrics}
    exec(code, namespace)  # noqa: S102 - the page's receivers, connected to this app
    try:
        with caplog.at_level(logging.INFO, logger=app.logger.name):
            registered = _register(client)
        assert registered.status_code == 201
        assert f"new account {registered.json['userId']} (" in caplog.text
        refused = client.post("/v2/authenticate", json={"email": "nobody@example.com",
                                                        "password": "wrong password"})
        assert refused.status_code == 401
        assert metrics.counted == [("login_failed", {"reason": "WrongCredentials"})]
    finally:
        signals.user_registered.disconnect(namespace["welcome"], sender=app)
        signals.login_failed.disconnect(namespace["count_failures"], sender=app)


def test_quickstart_flask_login_snippet_runs(app: Flask, register: Callable[..., Any],
                                             login: Callable[..., str]) -> None:
    """Section 7's Flask-Login block, executed in an app: a token logs its user in, no token
    gets the JSON 401 of an API request."""
    code = next(block.text for block in section(QUICKSTART, "7.")
                if block.lang == "python" and "flask_login" in block.text)
    usercore = app.extensions["usercore"].core
    exec(compile(code, "quickstart.md", "exec"), {"app": app, "usercore": usercore})  # noqa: S102
    facts = register()
    token = login(facts["email"])
    client = app.test_client()
    answer = client.get("/reports", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and answer.json["email"] == facts["email"]
    refused = client.get("/reports", headers={"Accept": "application/json"})
    assert refused.status_code == 401 and refused.json["type"] == "Unauthorized"
