"""``GET /v2/password-policies/{name}``: what is served is what is enforced (REFERENCE.md 5.9),
and each app has its own policies (``register_policy(..., app=app)``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jsonschema
import pytest
from flask import Flask
from flask.testing import FlaskClient

import flask_usercore
from flask_usercore.config import ConfigError
from flask_usercore.security.policy import (
    MITTWALD,
    SHIPPED,
    PasswordPolicy,
    PolicyRegistry,
    get_policy,
    policy_registry,
    register_policy,
)
from flask_usercore.security.policy_rules import BlocklistRule, LengthRule
from tests.conftest import PASSWORD

_COUNT = {"min": {"type": "number"}, "max": {"type": "number"}}
_BASE = {"ruleType": {}, "identifier": {"type": "string"}}


def _rule(rule_type: str, required: tuple[str, ...] = (), **props: Any) -> dict[str, Any]:
    return {"type": "object", "required": ["ruleType", *required], "additionalProperties": False,
            "properties": {**_BASE, "ruleType": {"const": rule_type}, **props}}


#: password-tools-js's ``schema.json`` as REFERENCE.md 5.9 describes it.
POLICY_SCHEMA = {
    "type": "object", "required": ["rules"], "additionalProperties": False,
    "properties": {
        "minComplexity": {"enum": [0, 1, 2, 3, 4]},
        "rules": {"type": "array", "items": {"oneOf": [
            _rule("length", **_COUNT),
            _rule("charPool", ("charPools",), charPools={"type": "array", "items": {
                "enum": ["lowercase", "uppercase", "numbers", "special", "nonAscii"]}},
                **_COUNT),
            _rule("char", ("chars",), chars={"type": "string"}, **_COUNT),
            _rule("regex", ("pattern",), pattern={"type": "string"}, flags={
                "type": "array", "items": {"enum": list("dgimsuy")}},
                translationKey={"type": "string"}, **_COUNT),
            _rule("blocklist", ("blocklist", "substringMatch"),
                  blocklist={"type": "array", "items": {"type": "string"}},
                  substringMatch={"type": "boolean"}),
            _rule("hibp"),
            _rule("sequence", ("sequences",), sequences={"type": "array", "items": {
                "enum": ["alphabet", "keyboard", "number", "repeat"]}},
                maxLength={"type": "number"}),
        ]}},
    },
}

EVERY_RULE = {"minComplexity": 2, "rules": [
    {"ruleType": "length", "min": 10, "max": 64, "identifier": "len"},
    {"ruleType": "charPool", "charPools": ["lowercase", "numbers"], "min": 2},
    {"ruleType": "char", "chars": "!?", "max": 3},
    {"ruleType": "regex", "pattern": "\\s", "flags": ["g"], "max": 0,
     "translationKey": "noSpace"},
    {"ruleType": "blocklist", "blocklist": ["acme"], "substringMatch": True},
    {"ruleType": "hibp"},
    {"ruleType": "sequence", "sequences": ["number"], "maxLength": 3},
]}


def test_mittwald_is_served_and_matches_the_rule_shapes(client: FlaskClient) -> None:
    response = client.get("/v2/password-policies/mittwald")
    assert response.status_code == 200
    assert response.json == MITTWALD.to_json()
    jsonschema.validate(response.json, POLICY_SCHEMA)
    assert {"ruleType": "hibp"} in response.json["rules"]


def test_unknown_policy_is_404(client: FlaskClient) -> None:
    response = client.get("/v2/password-policies/examplePolicy")
    assert response.status_code == 404
    assert response.json["type"] == "NotFound"


def test_a_document_with_every_rule_type_round_trips(app: Flask, client: FlaskClient) -> None:
    register_policy("every", EVERY_RULE, app=app)  # after init_app: served at once
    served = client.get("/v2/password-policies/every").json
    assert served == EVERY_RULE
    jsonschema.validate(served, POLICY_SCHEMA)


@pytest.mark.parametrize("document", [
    {"rules": [{"ruleType": "unknown"}]},
    {"rules": [{"ruleType": "length", "minimum": 3}]},
    {"rules": [{"ruleType": "blocklist", "blocklist": ["x"]}]},
    {"rules": [{"ruleType": "regex", "pattern": "("}]},
    {"minComplexity": 5, "rules": []},
    {"rules": [], "extra": 1},
    {"minComplexity": 3},
])
def test_registering_a_document_the_format_refuses_fails(app: Flask,
                                                         document: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        register_policy("broken", document, app=app)
    assert "broken" not in policy_registry(app)


@pytest.mark.parametrize("name", ["", "a/b", "x" * 65, "with space", 7])
def test_a_policy_name_must_be_a_path_segment(app: Flask, name: Any) -> None:
    with pytest.raises(ValueError, match="policy name"):
        register_policy(name, MITTWALD, app=app)


ACME = PasswordPolicy(rules=(LengthRule(min=8),
                             BlocklistRule(blocklist=("acme",), substring_match=True,
                                           identifier="noBrand")))


def test_a_host_policy_is_enforced_on_registration_and_names_the_rule(
        make_app: Callable[..., Flask]) -> None:
    client = make_app({"USERCORE_PASSWORD_POLICY": "acme"},
                      before_init=lambda app: register_policy("acme", ACME, app=app),
                      ).test_client()
    body = {"email": "ada@example.com", "person": {"firstName": "Ada", "lastName": "Lovelace"}}
    refused = client.post("/v2/register", json={**body, "password": "my-ACME-pass"})
    assert refused.status_code == 400
    assert refused.json["validationErrors"] == [{
        "path": ".password", "type": "PasswordIsBlocked", "message": "contains a blocked word",
        "context": {"ruleType": "blocklist", "identifier": "noBrand"}}]
    # a policy without a complexity minimum: eight characters are enough here
    assert client.post("/v2/register", json={**body, "password": "xq7-vbn!"}).status_code == 201


def test_an_unregistered_policy_name_is_refused_at_start_up(
        make_app: Callable[..., Flask]) -> None:
    with pytest.raises(ConfigError):
        make_app({"USERCORE_PASSWORD_POLICY": "nothere"})


@pytest.mark.parametrize(("password", "kind", "rule"), [
    ("short", "PasswordTooWeak", "length"),
    ("qwertyuiop123456", "PasswordTooWeak", "sequence"),
    ("passwordpassword", "PasswordIsLeaked", "hibp"),
    ("Ada.Lovelace@Example.com", "PasswordEqualsEmail", "personalData"),
    ("LovelaceAda1815", "PasswordTooWeak", "personalData"),
    ("monkeymonkey", "PasswordTooWeak", "complexity"),
])
def test_registration_names_the_rule_that_failed(client: FlaskClient, password: str, kind: str,
                                                 rule: str) -> None:
    response = client.post("/v2/register", json={
        "email": "ada.lovelace@example.com", "password": password,
        "person": {"firstName": "Ada", "lastName": "Lovelace"}})
    assert response.status_code == 400
    [error] = response.json["validationErrors"]
    assert (error["path"], error["type"], error["context"]["ruleType"]) == (
        ".password", kind, rule)


def test_a_password_built_from_the_nickname_is_refused(client: FlaskClient) -> None:
    body = {"email": "x1@example.com", "nickname": "stardancer",
            "person": {"firstName": "Grace", "lastName": "Hopper"}}
    refused = client.post("/v2/register", json={**body, "password": "Stardancer!2024"})
    assert refused.status_code == 400
    assert refused.json["validationErrors"][0]["context"] == {"ruleType": "personalData"}
    assert client.post("/v2/register", json={**body, "password": PASSWORD}).status_code == 201


# -- one registry per app --------------------------------------------------------------------

def test_two_apps_in_one_process_do_not_see_each_others_policies(
        make_app: Callable[..., Flask]) -> None:
    short = PasswordPolicy(rules=(LengthRule(min=6),))
    first = make_app({"USERCORE_PASSWORD_POLICY": "acme"},
                     before_init=lambda app: register_policy("acme", ACME, app=app))
    second = make_app({"USERCORE_PASSWORD_POLICY": "acme"},
                      before_init=lambda app: register_policy("acme", short, app=app))
    third = make_app()
    with first.app_context():  # the current app's registry, after init_app
        register_policy("first-only", MITTWALD)

    def served(app: Flask, name: str) -> Any:
        response = app.test_client().get(f"/v2/password-policies/{name}")
        return response.json if response.status_code == 200 else response.status_code

    assert served(first, "acme") == ACME.to_json()
    assert served(second, "acme") == short.to_json()
    assert served(third, "acme") == 404
    assert served(first, "first-only") == MITTWALD.to_json()
    assert served(second, "first-only") == 404
    assert served(third, "mittwald") == MITTWALD.to_json()  # the shipped ones: everywhere
    # and each enforces its own: "my-ACME-pass" is blocked by the first, fine for the second
    body = {"email": "ada@example.com", "password": "my-ACME-pass",
            "person": {"firstName": "Ada", "lastName": "Lovelace"}}
    assert first.test_client().post("/v2/register", json=body).json["validationErrors"][0][
        "type"] == "PasswordIsBlocked"
    assert second.test_client().post("/v2/register", json=body).status_code == 201
    # a third app naming "acme" without registering it does not start
    with pytest.raises(ConfigError, match="register 'acme'"):
        make_app({"USERCORE_PASSWORD_POLICY": "acme"})


def test_the_services_read_the_registry_of_their_own_app(
        make_app: Callable[..., Flask]) -> None:
    app = make_app(before_init=lambda app: register_policy("acme", ACME, app=app))
    state = app.extensions["usercore"]
    assert state.deps.policies is policy_registry(app)
    assert state.deps.policies.names() == ["acme", "mittwald"]
    assert get_policy("acme", app=app) is ACME
    with app.app_context():
        assert get_policy("acme") is ACME
        assert get_policy("nothere") is None


def test_without_an_app_or_an_app_context_registering_is_refused() -> None:
    with pytest.raises(RuntimeError, match="pass app="):
        flask_usercore.register_policy("acme", ACME)
    with pytest.raises(RuntimeError, match="pass app="):
        get_policy("mittwald")


def test_a_registry_starts_with_the_shipped_policies_and_keeps_its_own() -> None:
    one, two = PolicyRegistry(), PolicyRegistry()
    assert one.names() == two.names() == sorted(SHIPPED)
    assert one.register("acme", {"rules": [{"ruleType": "length", "min": 9}]}) == PasswordPolicy(
        rules=(LengthRule(min=9),))
    assert "acme" in one and "acme" not in two
    assert one.register("acme", ACME) is one.get("acme") is ACME  # registered again: replaced
    assert two.get("acme") is None
    with pytest.raises(TypeError):
        SHIPPED["acme"] = ACME  # type: ignore[index]


def test_the_registry_key_holds_nothing_else(app: Flask) -> None:
    app.extensions["usercore_password_policies"] = {}
    with pytest.raises(RuntimeError, match="not a PolicyRegistry"):
        policy_registry(app)
