"""Sessions through the Flask test client: list (pages), show, end one, end the others,
refresh (rotation, reuse), and the last-access buffer."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, event, insert, select, update

from flask_usercore import Location, signals
from flask_usercore.models import Credential, CredentialKind, utcnow
from flask_usercore.security.tokens import hash_token, new_token
from flask_usercore.services import authentication
from tests.conftest import PASSWORD

Register = Callable[..., dict[str, Any]]
SAFARI = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.0 Safari/605.1.15")
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1")


def db_session(app: Flask) -> Any:
    return app.extensions["usercore"].core.db.session


def log_in(client: FlaskClient, email: str = "ada@example.com", *, agent: str = SAFARI,
           ip: str = "203.0.113.7") -> dict[str, Any]:
    response = client.post("/v2/authenticate", json={"email": email, "password": PASSWORD},
                           headers={"User-Agent": agent}, environ_base={"REMOTE_ADDR": ip})
    assert response.status_code == 200, response.json
    body: dict[str, Any] = response.json
    return {**body, "headers": {"Authorization": f"Bearer {body['token']}"}}


def session_id(app: Flask, token: str) -> str:
    with app.app_context():
        found = db_session(app).scalar(select(Credential.id)
                                       .where(Credential.token_hash == hash_token(token)))
        return str(found)


@pytest.fixture
def ada(register: Register) -> dict[str, Any]:
    return register()


class TestList:
    def test_lists_each_session_with_device_location_and_times(
            self, client: FlaskClient, app: Flask, ada: dict[str, Any]) -> None:
        first = log_in(client, agent=SAFARI, ip="203.0.113.7")
        log_in(client, agent=IPHONE, ip="::ffff:198.51.100.2")
        response = client.get("/v2/users/self/sessions", headers=first["headers"])
        assert response.status_code == 200
        assert response.headers["X-Pagination-TotalCount"] == "2"
        newest, oldest = response.json
        assert oldest["tokenId"] == session_id(app, first["token"])
        assert oldest["device"] == {"browser": "Safari", "os": "Mac OS X",
                                    "model": "Apple Mac", "type": "desktop"}
        assert newest["device"]["os"] == "iOS" and newest["device"]["type"] == "mobile"
        assert oldest["location"] == {"ipAddress": "203.0.113.7"}
        assert newest["location"] == {"ipAddress": "198.51.100.2"}  # IPv4-mapped, shown as v4
        assert oldest["created"].endswith("Z") and "lastAccess" in oldest

    def test_an_ipv6_address_and_an_unknown_agent_are_left_out(
            self, client: FlaskClient, ada: dict[str, Any]) -> None:
        me = log_in(client, agent="acme-sync/1.0", ip="2001:db8::1")
        [item] = client.get("/v2/users/self/sessions", headers=me["headers"]).json
        assert item["device"] == {}
        assert "location" not in item

    def test_only_the_callers_sessions(self, client: FlaskClient, register: Register) -> None:
        register()
        register("bob@example.com")
        ada = log_in(client)
        log_in(client, "bob@example.com")
        response = client.get("/v2/users/self/sessions", headers=ada["headers"])
        assert len(response.json) == 1

    def test_pages_of_a_thousand_sessions(self, client: FlaskClient, app: Flask,
                                          ada: dict[str, Any]) -> None:
        me = log_in(client)
        now = utcnow()
        with app.app_context():
            db_session(app).execute(insert(Credential), [
                {"id": uuid.uuid4(), "user_id": uuid.UUID(ada["userId"]),
                 "kind": CredentialKind.SESSION, "token_hash": hash_token(new_token()),
                 "created_at": now - dt.timedelta(seconds=i + 1),
                 "expires_at": now + dt.timedelta(hours=1)} for i in range(999)])
            db_session(app).commit()
        seen: list[str] = []
        for page in range(1, 11):
            response = client.get(f"/v2/users/self/sessions?limit=100&page={page}",
                                  headers=me["headers"])
            assert response.status_code == 200
            assert response.headers["X-Pagination-Limit"] == "100"
            assert response.headers["X-Pagination-Skip"] == str((page - 1) * 100)
            assert response.headers["X-Pagination-Page"] == str(page)
            assert response.headers["X-Pagination-TotalCount"] == "1000"
            assert len(response.json) == 100
            seen += [item["tokenId"] for item in response.json]
        assert len(set(seen)) == 1000
        assert seen[0] == session_id(app, me["token"])  # newest first
        # skip wins over page; without limit a page holds 100; limit=0 only counts
        response = client.get("/v2/users/self/sessions?skip=950&page=2&limit=100",
                              headers=me["headers"])
        assert len(response.json) == 50 and response.headers["X-Pagination-Skip"] == "950"
        assert len(client.get("/v2/users/self/sessions", headers=me["headers"]).json) == 100
        response = client.get("/v2/users/self/sessions?limit=0", headers=me["headers"])
        assert response.json == [] and response.headers["X-Pagination-TotalCount"] == "1000"

    @pytest.mark.parametrize(("query", "path", "kind"), [
        ("limit=-1", ".limit", "minimum"), ("limit=1001", ".limit", "maximum"),
        ("limit=ten", ".limit", "type"), ("skip=-5", ".skip", "minimum"),
        ("page=-1", ".page", "minimum"),
        # found by schemathesis: a page this far made an OFFSET no database integer holds
        ("page=15496982941845144311357801234432", ".page", "maximum"),
        (f"skip={2**63}", ".skip", "maximum")])
    def test_bad_page_query(self, client: FlaskClient, ada: dict[str, Any], query: str,
                            path: str, kind: str) -> None:
        me = log_in(client)
        response = client.get(f"/v2/users/self/sessions?{query}", headers=me["headers"])
        assert response.status_code == 400
        [error] = response.json["validationErrors"]
        assert (error["path"], error["type"]) == (path, kind)

    def test_location_hook(self, make_app: Callable[..., Flask],
                           register: Register) -> None:
        class Lookup:
            def __init__(self) -> None:
                self.asked: list[str] = []

            def locate(self, ip_address: str) -> Location | None:
                self.asked.append(ip_address)
                return Location(city="Espelkamp", country="DE")

        lookup = Lookup()
        app = make_app(location=lookup)
        client = app.test_client()
        facts = client.post("/v2/register", json={
            "email": "eve@example.com", "password": PASSWORD,
            "person": {"firstName": "Eve", "lastName": "Example"}}).json
        with app.app_context():
            from flask_usercore.models import User
            db_session(app).execute(update(User).where(User.id == uuid.UUID(facts["userId"]))
                                    .values(email_verified_at=utcnow()))
            db_session(app).commit()
        me = log_in(client, "eve@example.com")
        log_in(client, "eve@example.com")
        items = client.get("/v2/users/self/sessions", headers=me["headers"]).json
        assert [item["location"] for item in items] == [
            {"ipAddress": "203.0.113.7", "city": "Espelkamp", "country": "DE"}] * 2
        assert lookup.asked == ["203.0.113.7"]  # once per address and page


class TestOne:
    def test_get_own_session(self, client: FlaskClient, app: Flask,
                             ada: dict[str, Any]) -> None:
        me = log_in(client)
        token_id = session_id(app, me["token"])
        response = client.get(f"/v2/users/self/sessions/{token_id}", headers=me["headers"])
        assert response.status_code == 200
        assert response.json["tokenId"] == token_id

    @pytest.mark.parametrize("method", ["get", "delete"])
    def test_another_users_or_an_unknown_session_is_404(
            self, client: FlaskClient, app: Flask, register: Register, method: str) -> None:
        register()
        register("bob@example.com")
        ada = log_in(client)
        bob = log_in(client, "bob@example.com")
        for token_id in (session_id(app, bob["token"]), str(uuid.uuid4()), "not-a-uuid"):
            response = getattr(client, method)(f"/v2/users/self/sessions/{token_id}",
                                               headers=ada["headers"])
            assert response.status_code == 404
            assert response.json["type"] == "NotFound"
        assert client.get("/v2/users/self", headers=bob["headers"]).status_code == 200

    def test_ending_one_session(self, client: FlaskClient, app: Flask,
                                ada: dict[str, Any]) -> None:
        me, other, third = log_in(client), log_in(client), log_in(client)
        response = client.delete(f"/v2/users/self/sessions/{session_id(app, other['token'])}",
                                 headers=me["headers"])
        assert response.status_code == 204 and response.data == b""
        assert client.get("/v2/users/self", headers=other["headers"]).status_code == 401
        assert client.get("/v2/users/self", headers=me["headers"]).status_code == 200
        assert client.get("/v2/users/self", headers=third["headers"]).status_code == 200

    def test_ending_all_others(self, client: FlaskClient, ada: dict[str, Any]) -> None:
        me, others = log_in(client), [log_in(client) for _ in range(3)]
        response = client.delete("/v2/users/self/sessions", headers=me["headers"])
        assert response.status_code == 204
        for other in others:
            assert client.get("/v2/users/self", headers=other["headers"]).status_code == 401
        assert len(client.get("/v2/users/self/sessions", headers=me["headers"]).json) == 1


class TestRefresh:
    def refresh(self, client: FlaskClient, refresh_token: str,
                headers: dict[str, str] | None = None) -> Any:
        return client.put("/v2/users/self/sessions", json={"refreshToken": refresh_token},
                          headers=headers or {})

    def test_rotates_both_tokens_and_keeps_the_session(self, client: FlaskClient, app: Flask,
                                                       ada: dict[str, Any]) -> None:
        me = log_in(client)
        before = session_id(app, me["token"])
        response = self.refresh(client, me["refreshToken"], me["headers"])
        assert response.status_code == 200
        body = response.json
        assert set(body) == {"token", "refreshToken", "expiresAt"}
        assert client.get("/v2/users/self", headers=me["headers"]).status_code == 401
        fresh = {"Authorization": f"Bearer {body['token']}"}
        assert client.get("/v2/users/self", headers=fresh).status_code == 200
        assert session_id(app, body["token"]) == before

    def test_is_four_statements_and_keeps_full_durability(
            self, client: FlaskClient, app: Flask, ada: dict[str, Any]) -> None:
        """Two lookups, the rotation's UPDATE ... RETURNING (no re-reading SELECT), the spent
        token's INSERT; no ``synchronous_commit`` switch: a refresh revokes tokens."""
        me = log_in(client)
        seen: list[str] = []
        with app.app_context():
            engine = db_session(app).get_bind()

        def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            seen.append(" ".join(statement.split()).upper())

        event.listen(engine, "before_cursor_execute", record)
        try:
            response = self.refresh(client, me["refreshToken"], me["headers"])
        finally:
            event.remove(engine, "before_cursor_execute", record)
        assert response.status_code == 200
        assert [statement.split()[0] for statement in seen] == [
            "SELECT", "SELECT", "UPDATE", "INSERT"], seen
        assert "RETURNING" in seen[2]
        assert not any("SYNCHRONOUS_COMMIT" in statement for statement in seen)

    def test_works_after_the_access_token_expired_and_without_one(
            self, client: FlaskClient, app: Flask, ada: dict[str, Any]) -> None:
        me = log_in(client)
        with app.app_context():
            db_session(app).execute(update(Credential).values(
                expires_at=utcnow() - dt.timedelta(seconds=1)))
            db_session(app).commit()
        assert client.get("/v2/users/self", headers=me["headers"]).status_code == 401
        first = self.refresh(client, me["refreshToken"], me["headers"])
        assert first.status_code == 200
        second = self.refresh(client, first.json["refreshToken"])  # no access token at all
        assert second.status_code == 200

    def test_a_token_of_another_session_or_an_unknown_token(
            self, client: FlaskClient, ada: dict[str, Any]) -> None:
        me, other = log_in(client), log_in(client)
        response = self.refresh(client, me["refreshToken"], other["headers"])
        assert response.status_code == 400
        assert response.json["validationErrors"][0]["path"] == ".refreshToken"
        response = self.refresh(client, me["refreshToken"],
                                {"Authorization": "Bearer not-a-token"})
        assert response.status_code == 401
        assert self.refresh(client, me["refreshToken"], me["headers"]).status_code == 200

    @pytest.mark.parametrize(("body", "path", "kind"), [
        ({}, ".refreshToken", "required"), ({"refreshToken": ""}, ".refreshToken", "minLength"),
        ({"refreshToken": 5}, ".refreshToken", "type"),
        ({"refreshToken": "x", "extra": 1}, ".extra", "additionalProperties")])
    def test_bad_body(self, client: FlaskClient, body: dict[str, Any], path: str,
                      kind: str) -> None:
        response = client.put("/v2/users/self/sessions", json=body)
        assert response.status_code == 400
        assert [(e["path"], e["type"]) for e in response.json["validationErrors"]] == [
            (path, kind)]

    def test_unknown_or_expired_refresh_token(self, client: FlaskClient, app: Flask,
                                              ada: dict[str, Any]) -> None:
        assert self.refresh(client, new_token()).status_code == 400
        me = log_in(client)
        with app.app_context():
            db_session(app).execute(update(Credential).values(
                refresh_expires_at=utcnow() - dt.timedelta(seconds=1)))
            db_session(app).commit()
        response = self.refresh(client, me["refreshToken"])
        assert response.status_code == 400
        assert response.json["validationErrors"][0]["type"] == "InvalidRefreshToken"

    def test_reuse_of_a_rotated_refresh_token_ends_the_session(
            self, client: FlaskClient, app: Flask, ada: dict[str, Any]) -> None:
        me, bystander = log_in(client), log_in(client)
        rotated = self.refresh(client, me["refreshToken"]).json
        again = self.refresh(client, rotated["refreshToken"]).json
        # moments later (a client's duplicate request): refused, the session goes on
        assert self.refresh(client, me["refreshToken"]).status_code == 400
        current = {"Authorization": f"Bearer {again['token']}"}
        assert client.get("/v2/users/self", headers=current).status_code == 200
        with app.app_context():  # later: reuse
            db_session(app).execute(
                update(Credential).where(Credential.kind == CredentialKind.SPENT_REFRESH)
                .values(created_at=utcnow() - authentication.REFRESH_REUSE_GRACE * 2))
            db_session(app).commit()
        reused: list[dict[str, Any]] = []

        def receive(sender: Any, **extra: Any) -> None:
            reused.append(extra)

        with signals.session_reused.connected_to(receive):
            response = self.refresh(client, me["refreshToken"])
        assert response.status_code == 400
        assert reused and str(reused[0]["user_id"]) == ada["userId"]
        assert client.get("/v2/users/self", headers=current).status_code == 401
        assert self.refresh(client, again["refreshToken"]).status_code == 400
        assert client.get("/v2/users/self", headers=bystander["headers"]).status_code == 200
        with app.app_context():  # nothing of the family is left
            kinds = db_session(app).scalars(select(Credential.kind)).all()
        assert kinds == [CredentialKind.SESSION]


class TestLastAccess:
    @pytest.fixture
    def statements(self, app: Flask) -> Iterator[list[str]]:
        seen: list[str] = []
        with app.app_context():
            engine = db_session(app).get_bind()

        def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            seen.append(statement.lstrip().split()[0].upper())

        event.listen(engine, "before_cursor_execute", record)
        yield seen
        event.remove(engine, "before_cursor_execute", record)

    def test_no_write_inside_a_read_and_the_flush_writes_it(
            self, client: FlaskClient, app: Flask, ada: dict[str, Any],
            statements: list[str]) -> None:
        me = log_in(client)
        token_id = uuid.UUID(session_id(app, me["token"]))
        with app.app_context():
            db_session(app).execute(update(Credential).values(
                last_used_at=utcnow() - dt.timedelta(hours=1)))
            db_session(app).commit()
        statements.clear()
        assert client.get("/v2/users/self", headers=me["headers"]).status_code == 200
        assert statements == ["SELECT"]
        buffer = app.extensions["usercore"].deps.last_access
        used = buffer.pending(token_id)
        assert used is not None and utcnow() - used < dt.timedelta(seconds=5)
        # the list shows the buffered time (its own request's) before it is written
        listed = client.get("/v2/users/self/sessions", headers=me["headers"]).json
        used = buffer.pending(token_id)
        assert used is not None
        assert listed[0]["lastAccess"] == used.strftime("%Y-%m-%dT%H:%M:%SZ")
        statements.clear()
        assert buffer.flush() == 1
        assert statements.count("UPDATE") == 1
        with app.app_context():
            stored = db_session(app).scalar(select(Credential.last_used_at)
                                            .where(Credential.id == token_id))
        assert stored is not None and abs(stored - used) < dt.timedelta(milliseconds=1)
        assert buffer.pending(token_id) is None

    def test_a_flush_never_moves_the_time_back(self, client: FlaskClient, app: Flask,
                                               ada: dict[str, Any]) -> None:
        me = log_in(client)
        token_id = uuid.UUID(session_id(app, me["token"]))
        later = utcnow() + dt.timedelta(minutes=5)  # another worker wrote a later use
        with app.app_context():
            db_session(app).execute(update(Credential).values(last_used_at=later))
            db_session(app).commit()
        client.get("/v2/users/self", headers=me["headers"])
        app.extensions["usercore"].deps.last_access.flush()
        with app.app_context():
            stored = db_session(app).scalar(select(Credential.last_used_at)
                                            .where(Credential.id == token_id))
        assert stored is not None and abs(stored - later) < dt.timedelta(milliseconds=1)


RACERS = 12


def race(app: Flask, method: str, path: str, body: dict[str, Any]) -> list[tuple[int, Any]]:
    """Send the same request from ``RACERS`` threads at once; (status, json) of each."""
    barrier = threading.Barrier(RACERS, timeout=30)
    results: list[Any] = [None] * RACERS

    def run(index: int) -> None:
        client = app.test_client()
        try:
            barrier.wait()
            response = client.open(path, method=method, json=body)
            results[index] = (response.status_code, response.get_json())
        except BaseException as exc:  # reported by the main thread
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(isinstance(r, tuple) for r in results), results
    return results


class TestRacesOnPostgres:
    @pytest.fixture(autouse=True)
    def _postgres_only(self, is_postgres: bool) -> None:
        if not is_postgres:
            pytest.skip("needs PostgreSQL (set USERCORE_TEST_DATABASE_URL, see .ci/run)")

    @pytest.fixture
    def race_app(self, make_app: Callable[..., Flask]) -> Flask:
        return make_app({"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": RACERS, "max_overflow": 0}})

    def test_one_refresh_token_refreshes_once(self, race_app: Flask) -> None:
        client = race_app.test_client()
        facts = client.post("/v2/register", json={
            "email": "race@example.com", "password": PASSWORD,
            "person": {"firstName": "Ra", "lastName": "Ce"}}).json
        with race_app.app_context():
            from flask_usercore.models import User
            db_session(race_app).execute(update(User).values(email_verified_at=utcnow()))
            db_session(race_app).commit()
        me = log_in(client, "race@example.com")
        results = race(race_app, "PUT", "/v2/users/self/sessions",
                       {"refreshToken": me["refreshToken"]})
        statuses = Counter(status for status, _ in results)
        assert statuses == {200: 1, 400: RACERS - 1}, results
        [winner] = [payload for status, payload in results if status == 200]
        # the losers were duplicates, not reuse: the winner's session goes on
        response = client.get("/v2/users/self",
                              headers={"Authorization": f"Bearer {winner['token']}"})
        assert response.status_code == 200
        assert facts["userId"] == response.json["userId"]

    def test_one_retrieval_key_logs_in_once(self, race_app: Flask) -> None:
        client = race_app.test_client()
        user_id = client.post("/v2/register", json={
            "email": "key@example.com", "password": PASSWORD,
            "person": {"firstName": "Ke", "lastName": "Y"}}).json["userId"]
        with race_app.app_context():
            key = race_app.extensions["usercore"].core.create_retrieval_key(uuid.UUID(user_id))
        results = race(race_app, "POST", "/v2/authenticate-token-retrieval-key",
                       {"accessTokenRetrievalKey": key, "userId": user_id})
        assert Counter(status for status, _ in results) == {200: 1, 400: RACERS - 1}


def test_purge_expired_deletes_in_batches_what_has_expired(app: Flask,
                                                           ada: dict[str, Any]) -> None:
    from flask_usercore.models import OAuth2AuthorizationCode, OneTimeCode, PasskeyChallenge
    from tests.user_rows import row_for

    now, owner = utcnow(), uuid.UUID(ada["userId"])
    past, future = now - dt.timedelta(seconds=1), now + dt.timedelta(hours=1)
    credentials = {  # name: (kind, expires_at, refresh_expires_at, kept)
        "dead session": (CredentialKind.SESSION, past, past, False),
        "expired access, live refresh": (CredentialKind.SESSION, past, future, True),
        "expired API token": (CredentialKind.API_TOKEN, past, None, False),
        "API token without expiry": (CredentialKind.API_TOKEN, None, None, True),
        "expired key": (CredentialKind.RETRIEVAL_KEY, past, None, False),
        "old spent refresh": (CredentialKind.SPENT_REFRESH, past, None, False),
        "live spent refresh": (CredentialKind.SPENT_REFRESH, future, None, True)}
    with app.app_context():
        session = db_session(app)
        session.execute(delete(OneTimeCode))  # the registration's code
        session.execute(insert(Credential), [
            {"id": uuid.uuid4(), "user_id": owner, "kind": kind, "description": name,
             "token_hash": hash_token(new_token()), "created_at": now,
             "expires_at": expires, "refresh_expires_at": refresh}
            for name, (kind, expires, refresh, _) in credentials.items()])
        session.execute(insert(OneTimeCode), [
            {"id": uuid.uuid4(), "user_id": owner, "purpose": "phone", "code_hash": "x",
             "attempts": 0, "created_at": now, "expires_at": expires, "used_at": used}
            for expires, used in ((past, None), (future, now), (future, None))])
        codes_table = OAuth2AuthorizationCode.__table__
        for expires in (past, past, past, future):  # OAuth2 codes: 3 expired, 1 live
            session.execute(insert(codes_table).values(
                {**row_for(codes_table, owner, session), "expires_at": expires}))
        session.execute(insert(PasskeyChallenge), [  # passkey challenges: 1 expired, 1 live
            {"id": uuid.uuid4(), "challenge_hash": f"{n}" * 64, "purpose": "login",
             "expires_at": expires, "created_at": now} for n, expires in enumerate((past, future))])
        session.commit()
    result = app.test_cli_runner().invoke(args=["usercore", "purge-expired", "--batch", "2"])
    assert result.exit_code == 0, result.output
    assert result.output == ("deleted 4 credentials, 2 one-time codes, 3 OAuth2 "
                             "authorization codes and 1 passkey challenges\n")
    with app.app_context():
        assert db_session(app).scalars(select(PasskeyChallenge.expires_at)).all() == [
            future]
    with app.app_context():
        assert db_session(app).scalars(select(OAuth2AuthorizationCode.expires_at)).all() == [
            future]
    with app.app_context():
        left = set(db_session(app).scalars(select(Credential.description)).all())
        codes = db_session(app).scalars(select(OneTimeCode.used_at)).all()
    assert left == {name for name, (*_, kept) in credentials.items() if kept}
    assert codes == [None]
