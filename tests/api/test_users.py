"""``GET /v2/users/{userId}``, ``PUT /v2/users/{userId}`` and
``PUT /v2/users/self/personal-information`` through the Flask test client."""

from __future__ import annotations

import copy
import datetime as dt
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from flask_usercore import signals
from flask_usercore.models import User
from tests.conftest import enable_mfa

Register = Callable[..., dict[str, Any]]
Login = Callable[..., str]
RFC3339_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
PROFILE = {
    "nickname": "ada",
    "displayName": "Ada L.",
    "company": "Analytical Engines Ltd.",
    "location": "London",
    "countryCode": "GB",
    "webUrl": "https://ada.example.org",
    "pictureUrl": "https://cdn.example.org/ada.png",
    "accountType": "organization",
}
#: Always in the owner's view of the user resource (DESIGN.md, "The user resource").
ALWAYS = {"userId", "id", "person", "email", "emailVerified", "mfa", "registeredAt",
          "createdAt", "passwordUpdatedAt", "isEmployee", "customerMemberships",
          "projectMemberships", "accountType", "firstname", "lastname"}
#: Optional: present only when the user has a value.
OPTIONAL = {"phoneNumber", "avatarRef", "nickname", "displayName", "company", "location",
            "countryCode", "webUrl", "pictureUrl"}
PRIVATE = {"email", "emailVerified", "phoneNumber", "mfa", "customerMemberships",
           "projectMemberships", "registeredAt", "createdAt", "passwordUpdatedAt",
           "isEmployee"}
UPDATE_PATHS = ["/v2/users/self", "/v2/users/{userId}", "/v2/users/self/personal-information"]


def set_columns(app: Flask, user_id: str, **values: Any) -> None:
    with app.app_context():
        session = app.extensions["usercore"].core.db.session
        user = session.get(User, uuid.UUID(user_id))
        for key, value in values.items():
            setattr(user, key, value)
        session.commit()


def error_items(response: Any, status: int = 400) -> list[tuple[str, str]]:
    assert response.status_code == status, response.json
    assert response.json["type"] == "ValidationError"
    assert response.json["code"] == status
    assert isinstance(response.json["message"], str)
    return [(e["path"], e["type"]) for e in response.json["validationErrors"]]


def no_nulls(value: Any) -> bool:
    if isinstance(value, dict):
        return all(v is not None and no_nulls(v) for v in value.values())
    if isinstance(value, list):
        return all(v is not None and no_nulls(v) for v in value)
    return True


class TestGetOwnUser:
    @pytest.mark.parametrize("which", ["self", "uuid"])
    def test_full_resource_without_optional_fields(self, client: FlaskClient,
                                                   user: dict[str, Any], which: str) -> None:
        path_id = "self" if which == "self" else user["userId"]
        response = client.get(f"/v2/users/{path_id}", headers=user["headers"])
        assert response.status_code == 200
        body = response.json
        assert no_nulls(body)
        assert set(body) == ALWAYS
        assert body["userId"] == body["id"] == user["userId"]
        assert body["person"] == {"firstName": "Ada", "lastName": "Lovelace"}
        assert (body["firstname"], body["lastname"]) == ("Ada", "Lovelace")
        assert body["email"] == "ada@example.com"
        assert body["emailVerified"] is True
        assert body["mfa"] == {"active": False, "setup": False}
        assert body["isEmployee"] is False
        assert body["customerMemberships"] == {} == body["projectMemberships"]
        assert body["accountType"] == "user"
        for key in ("registeredAt", "createdAt", "passwordUpdatedAt"):
            assert RFC3339_Z.match(body[key]), (key, body[key])
        assert body["registeredAt"] == body["createdAt"]
        created = dt.datetime.fromisoformat(body["createdAt"])
        assert abs(dt.datetime.now(dt.UTC) - created) < dt.timedelta(minutes=1)

    def test_full_resource_with_every_field(self, client: FlaskClient, app: Flask,
                                            register: Register, login: Login) -> None:
        user_id = register(**PROFILE, person={"firstName": "Ada", "lastName": "Lovelace",
                                               "title": "ms"})["userId"]
        avatar = uuid.uuid4()
        set_columns(app, user_id, phone_number="+491701234567", avatar_ref=avatar)
        token = login()
        enable_mfa(app, user_id)
        body = client.get("/v2/users/self", headers={"x-access-token": token}).json
        assert no_nulls(body)
        assert set(body) == ALWAYS | OPTIONAL
        assert {k: body[k] for k in PROFILE} == PROFILE
        assert body["person"] == {"firstName": "Ada", "lastName": "Lovelace", "title": "ms"}
        assert body["phoneNumber"] == "+491701234567"
        assert body["avatarRef"] == str(avatar)
        assert body["mfa"] == {"active": True, "setup": True}

    def test_mfa_set_up_but_not_active(self, client: FlaskClient, app: Flask,
                                       user: dict[str, Any]) -> None:
        enable_mfa(app, user["userId"], confirmed=False)
        body = client.get("/v2/users/self", headers=user["headers"]).json
        assert body["mfa"] == {"active": False, "setup": True}

    class TestUnverified:
        @pytest.fixture
        def app(self, make_app: Callable[..., Flask]) -> Flask:
            return make_app({"USERCORE_REQUIRE_VERIFIED_EMAIL": False})

        def test_unverified_email_shows_false(self, client: FlaskClient, register: Register,
                                              login: Login) -> None:
            register(verify=False)
            body = client.get("/v2/users/self", headers={"x-access-token": login()}).json
            assert body["emailVerified"] is False

    def test_another_users_id_is_forbidden(self, client: FlaskClient, register: Register,
                                           user: dict[str, Any]) -> None:
        other = register("grace@example.com", nickname="grace")["userId"]
        for user_id in (other, str(uuid.uuid4())):
            response = client.get(f"/v2/users/{user_id}", headers=user["headers"])
            assert response.status_code == 403
            assert response.is_json
            assert response.json["type"] == "Forbidden"
            assert response.json["code"] == 403
            assert isinstance(response.json["message"], str)
            assert "grace" not in response.get_data(as_text=True)

    @pytest.mark.parametrize("garbage", ["not-a-uuid", "12345", "SELF",
                                         "10203040-1234-5678-abcd-badc0de0123"])
    def test_garbage_id_is_not_found(self, client: FlaskClient, user: dict[str, Any],
                                     garbage: str) -> None:
        response = client.get(f"/v2/users/{garbage}", headers=user["headers"])
        assert response.status_code == 404
        assert response.is_json
        assert response.json["type"] == "NotFound"
        assert response.json["code"] == 404

    def test_uppercase_uuid_is_the_same_user(self, client: FlaskClient,
                                             user: dict[str, Any]) -> None:
        response = client.get(f"/v2/users/{user['userId'].upper()}", headers=user["headers"])
        assert response.status_code == 200
        assert response.json["userId"] == user["userId"]


class EveryoneVisible:
    """A visibility hook that shows every user's public profile to everyone."""

    def can_see(self, viewer: User, other: User) -> bool:
        return True


class TestGetVisibleUser:
    @pytest.fixture
    def app(self, make_app: Callable[..., Flask]) -> Flask:
        return make_app(visibility=EveryoneVisible())

    def test_visible_user_shows_only_public_fields(
            self, client: FlaskClient, app: Flask, register: Register,
            user: dict[str, Any]) -> None:
        other = register("grace@example.com", **PROFILE,
                         person={"firstName": "Grace", "lastName": "Hopper", "title": "ms"})
        set_columns(app, other["userId"], phone_number="+491701234567")
        enable_mfa(app, other["userId"])
        response = client.get(f"/v2/users/{other['userId']}", headers=user["headers"])
        assert response.status_code == 200
        body = response.json
        assert no_nulls(body)
        assert not set(body) & PRIVATE
        assert body["userId"] == body["id"] == other["userId"]
        assert body["person"] == {"firstName": "Grace", "lastName": "Hopper", "title": "ms"}
        assert {k: body[k] for k in PROFILE} == PROFILE
        text = response.get_data(as_text=True)
        assert "grace@example.com" not in text
        assert "+491701234567" not in text

    def test_own_user_is_still_full(self, client: FlaskClient, register: Register,
                                    user: dict[str, Any]) -> None:
        register("grace@example.com")
        body = client.get(f"/v2/users/{user['userId']}", headers=user["headers"]).json
        assert set(body) == ALWAYS

    def test_unknown_uuid_is_still_forbidden(self, client: FlaskClient,
                                             user: dict[str, Any]) -> None:
        response = client.get(f"/v2/users/{uuid.uuid4()}", headers=user["headers"])
        assert response.status_code == 403
        assert response.json["type"] == "Forbidden"

    def test_visible_user_cannot_be_written(self, client: FlaskClient, app: Flask,
                                            register: Register, user: dict[str, Any]) -> None:
        other = register("grace@example.com")["userId"]
        response = client.put(f"/v2/users/{other}", headers=user["headers"],
                              json={"person": {"firstName": "Eve", "lastName": "Evil"}})
        assert response.status_code == 403
        assert response.json["type"] == "Forbidden"
        with app.app_context():
            grace = app.extensions["usercore"].core.db.session.get(User, uuid.UUID(other))
            assert grace is not None and grace.first_name == "Ada"



class OnlyOrganizations:
    """A visibility hook that shows organizations only."""

    def can_see(self, viewer: User, other: User) -> bool:
        return other.account_type == "organization"


class TestVisibilityHookDecides:
    @pytest.fixture
    def app(self, make_app: Callable[..., Flask]) -> Flask:
        return make_app(visibility=OnlyOrganizations())

    def test_the_hook_decides(self, client: FlaskClient, register: Register,
                              login: Login) -> None:
        org = register("org@example.com", accountType="organization")["userId"]
        person = register("person@example.com")["userId"]
        register()
        headers = {"x-access-token": login()}
        response = client.get(f"/v2/users/{org}", headers=headers)
        assert response.status_code == 200
        assert response.json["accountType"] == "organization"
        assert "email" not in response.json
        assert client.get(f"/v2/users/{person}", headers=headers).status_code == 403


class TestUpdateUser:
    @staticmethod
    def put(client: FlaskClient, user: dict[str, Any], path: str, body: Any) -> Any:
        return client.put(path.format(userId=user["userId"]), headers=user["headers"],
                          json=body)

    @staticmethod
    def get(client: FlaskClient, user: dict[str, Any]) -> dict[str, Any]:
        response = client.get("/v2/users/self", headers=user["headers"])
        assert response.status_code == 200
        body: dict[str, Any] = response.json
        return body

    @pytest.mark.parametrize("path", UPDATE_PATHS)
    def test_person_is_replaced(self, client: FlaskClient, register: Register, login: Login,
                                path: str) -> None:
        facts = register(person={"firstName": "Ada", "lastName": "Lovelace", "title": "ms"})
        user = {**facts, "headers": {"x-access-token": login()}}
        response = self.put(client, user, path,
                            {"person": {"firstName": "Augusta", "lastName": "King"}})
        assert response.status_code == 204
        assert response.data == b""
        body = self.get(client, user)
        assert body["person"] == {"firstName": "Augusta", "lastName": "King"}
        assert (body["firstname"], body["lastname"]) == ("Augusta", "King")

    @pytest.mark.parametrize("path", UPDATE_PATHS)
    def test_profile_fields_are_updated(self, client: FlaskClient, user: dict[str, Any],
                                        path: str) -> None:
        assert self.put(client, user, path, PROFILE).status_code == 204
        body = self.get(client, user)
        assert {k: body[k] for k in PROFILE} == PROFILE
        assert body["person"] == {"firstName": "Ada", "lastName": "Lovelace"}

    @pytest.mark.parametrize("path", UPDATE_PATHS)
    def test_name_mirrors_are_writable(self, client: FlaskClient, user: dict[str, Any],
                                       path: str) -> None:
        assert self.put(client, user, path,
                        {"firstname": "Augusta", "lastname": "King"}).status_code == 204
        body = self.get(client, user)
        assert body["person"] == {"firstName": "Augusta", "lastName": "King"}

    def test_person_and_mirror_must_agree(self, client: FlaskClient,
                                          user: dict[str, Any]) -> None:
        response = self.put(client, user, "/v2/users/self/personal-information", {
            "person": {"firstName": "Augusta", "lastName": "King"}, "firstname": "Bob"})
        assert (".firstname", "conflict") in error_items(response)
        assert self.get(client, user)["person"]["firstName"] == "Ada"

    @pytest.mark.parametrize("field", sorted(set(PROFILE) - {"accountType"}))
    def test_null_clears_an_optional_field(self, client: FlaskClient, register: Register,
                                           login: Login, field: str) -> None:
        facts = register(**PROFILE)
        user = {**facts, "headers": {"x-access-token": login()}}
        assert self.put(client, user, "/v2/users/{userId}", {field: None}).status_code == 204
        body = self.get(client, user)
        assert field not in body
        assert no_nulls(body)
        assert all(body[k] == PROFILE[k] for k in PROFILE if k != field)

    def test_null_is_refused_for_required_fields(self, client: FlaskClient,
                                                 user: dict[str, Any]) -> None:
        response = self.put(client, user, "/v2/users/self/personal-information",
                            {"accountType": None, "person": None})
        assert set(error_items(response)) == {(".accountType", "type"), (".person", "type")}

    @pytest.mark.parametrize("path", UPDATE_PATHS)
    def test_get_modify_put_round_trip(self, client: FlaskClient, user: dict[str, Any],
                                       path: str) -> None:
        original = self.get(client, user)
        assert self.put(client, user, path, original).status_code == 204
        assert self.get(client, user) == original
        changed = copy.deepcopy(original)
        changed["person"] = {"firstName": "Augusta", "lastName": "King", "title": "ms"}
        changed.update(company="ACME", nickname="augusta", countryCode="DE")
        response = self.put(client, user, path, changed)
        assert response.status_code == 204, response.json
        after = self.get(client, user)
        assert after["person"] == changed["person"]
        assert (after["firstname"], after["lastname"]) == ("Augusta", "King")
        assert (after["company"], after["nickname"], after["countryCode"]) == (
            "ACME", "augusta", "DE")
        assert after["email"] == original["email"]
        assert after["createdAt"] == original["createdAt"]

    def test_round_trip_with_email_in_other_case(self, client: FlaskClient,
                                                 user: dict[str, Any]) -> None:
        body = {**self.get(client, user), "email": "ADA@example.com"}
        assert self.put(client, user, "/v2/users/self/personal-information",
                        body).status_code == 204

    def test_round_trip_with_offset_datetimes(self, client: FlaskClient,
                                              user: dict[str, Any]) -> None:
        body = self.get(client, user)
        body["createdAt"] = body["createdAt"].replace("Z", "+00:00")
        body["registeredAt"] = dt.datetime.fromisoformat(body["registeredAt"]).astimezone(
            dt.timezone(dt.timedelta(hours=2))).isoformat()
        assert self.put(client, user, "/v2/users/self/personal-information",
                        body).status_code == 204

    @pytest.mark.parametrize(("field", "value"), [
        ("email", "eve@example.com"),
        ("userId", "10203040-1234-5678-abcd-badc0de01234"),
        ("id", "10203040-1234-5678-abcd-badc0de01234"),
        ("createdAt", "2001-02-03T04:05:06Z"),
        ("registeredAt", "2001-02-03T04:05:06Z"),
        ("passwordUpdatedAt", "2001-02-03T04:05:06Z"),
        ("emailVerified", False),
        ("mfa", {"active": True, "setup": True}),
        ("isEmployee", True),
        ("phoneNumber", "+491701234567"),
        ("avatarRef", "10203040-1234-5678-abcd-badc0de01234"),
    ])
    @pytest.mark.parametrize("path", UPDATE_PATHS)
    def test_read_only_field_with_another_value(
            self, client: FlaskClient, user: dict[str, Any], path: str, field: str,
            value: Any) -> None:
        before = self.get(client, user)
        body = {**before, "person": {"firstName": "Augusta", "lastName": "King"},
                field: value}
        response = self.put(client, user, path, body)
        errors = error_items(response)
        assert errors == [(f".{field}", "readOnly")]
        assert self.get(client, user) == before

    @pytest.mark.parametrize("path", UPDATE_PATHS)
    def test_unknown_field(self, client: FlaskClient, user: dict[str, Any],
                           path: str) -> None:
        before = self.get(client, user)
        response = self.put(client, user, path, {"company": "ACME", "favouriteColour": "red"})
        [item] = response.json["validationErrors"]
        assert error_items(response) == [(".favouriteColour", "additionalProperties")]
        assert item["context"] == {"additionalProperty": "favouriteColour"}
        assert self.get(client, user) == before

    def test_another_users_id_is_forbidden(self, client: FlaskClient, app: Flask,
                                           register: Register, user: dict[str, Any]) -> None:
        other = register("grace@example.com")["userId"]
        for user_id in (other, str(uuid.uuid4())):
            response = client.put(f"/v2/users/{user_id}", headers=user["headers"],
                                  json={"person": {"firstName": "Eve", "lastName": "Evil"}})
            assert response.status_code == 403
            assert response.json["type"] == "Forbidden"
            assert response.json["code"] == 403
        with app.app_context():
            grace = app.extensions["usercore"].core.db.session.get(User, uuid.UUID(other))
            assert grace is not None and grace.first_name == "Ada"

    def test_garbage_id_is_not_found(self, client: FlaskClient, user: dict[str, Any]) -> None:
        response = client.put("/v2/users/nope", headers=user["headers"],
                              json={"person": {"firstName": "A", "lastName": "B"}})
        assert response.status_code == 404
        assert response.json["type"] == "NotFound"

    @pytest.mark.parametrize("nickname", ["grace", "GRACE", "Grace"])
    @pytest.mark.parametrize("path", UPDATE_PATHS)
    def test_nickname_clash(self, client: FlaskClient, register: Register,
                            user: dict[str, Any], path: str, nickname: str) -> None:
        register("grace@example.com", nickname="grace")
        response = self.put(client, user, path, {"nickname": nickname, "company": "ACME"})
        assert error_items(response) == [(".nickname", "NicknameInUse")]
        body = self.get(client, user)
        assert "nickname" not in body and "company" not in body

    def test_own_nickname_in_another_case_is_fine(self, client: FlaskClient,
                                                  register: Register, login: Login) -> None:
        facts = register(nickname="ada")
        user = {**facts, "headers": {"x-access-token": login()}}
        assert self.put(client, user, "/v2/users/{userId}",
                        {"nickname": "ADA"}).status_code == 204
        assert self.get(client, user)["nickname"] == "ADA"

    @pytest.mark.parametrize(("field", "value", "kind"), [
        ("nickname", "n" * 61, "maxLength"),
        ("nickname", "no spaces", "pattern"),
        ("displayName", "d" * 121, "maxLength"),
        ("company", "c" * 121, "maxLength"),
        ("location", "l" * 121, "maxLength"),
        ("countryCode", "XX", "format"),
        ("countryCode", "de", "format"),
        ("countryCode", "DEU", "format"),
        ("webUrl", "/relative", "format"),
        ("pictureUrl", "ftp://example.com/a.png", "format"),
        ("accountType", "admin", "enum"),
    ])
    def test_profile_limits(self, client: FlaskClient, user: dict[str, Any], field: str,
                            value: str, kind: str) -> None:
        before = self.get(client, user)
        response = self.put(client, user, "/v2/users/self/personal-information",
                            {field: value})
        assert error_items(response) == [(f".{field}", kind)]
        assert self.get(client, user) == before

    def test_profile_updated_signal(self, client: FlaskClient, app: Flask,
                                    user: dict[str, Any]) -> None:
        received: list[dict[str, Any]] = []

        def receiver(sender: Any, **kwargs: Any) -> None:
            received.append({"sender": sender, "kwargs": set(kwargs),
                             "user_id": str(kwargs["user"].id), "changed": kwargs["changed"]})

        with signals.profile_updated.connected_to(receiver, sender=app):
            self.put(client, user, "/v2/users/{userId}", {
                "person": {"firstName": "Ada", "lastName": "King"},
                "company": "ACME", "location": None})
            self.put(client, user, "/v2/users/self/personal-information",
                     {"company": "ACME"})
            self.put(client, user, "/v2/users/self/personal-information",
                     {"nickname": "x y"})
            self.put(client, user, "/v2/users/self/personal-information",
                     {"nickname": "ada", "countryCode": "DE"})
        assert received == [
            {"sender": app, "kwargs": {"user", "changed"}, "user_id": user["userId"],
             "changed": {"last_name", "company"}},
            {"sender": app, "kwargs": {"user", "changed"}, "user_id": user["userId"],
             "changed": {"nickname", "country_code"}},
        ]

    def test_requires_a_token(self, client: FlaskClient, user: dict[str, Any]) -> None:
        for path in UPDATE_PATHS:
            response = client.put(path.format(userId=user["userId"]),
                                  json={"company": "ACME"})
            assert response.status_code == 401
            assert response.json["type"] == "Unauthorized"
