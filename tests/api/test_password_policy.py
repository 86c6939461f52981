"""``GET /v2/password-policies/{name}``: what is served is what is enforced (REFERENCE.md 5.9)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import jsonschema
import pytest
from flask import Flask
from flask.testing import FlaskClient

from flask_usercore.config import ConfigError
from flask_usercore.security import policy as policy_module
from flask_usercore.security.policy import MITTWALD, PasswordPolicy, register_policy
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


@pytest.fixture
def registered() -> Iterator[Callable[[str, Any], PasswordPolicy]]:
    """Register policies for one test; they are removed afterwards."""
    names: list[str] = []

    def register(name: str, policy: Any) -> PasswordPolicy:
        names.append(name)
        return register_policy(name, policy)

    yield register
    for name in names:
        policy_module.POLICIES.pop(name, None)


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


def test_a_document_with_every_rule_type_round_trips(
        client: FlaskClient, registered: Callable[[str, Any], PasswordPolicy]) -> None:
    registered("every", EVERY_RULE)
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
def test_registering_a_document_the_format_refuses_fails(document: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        register_policy("broken", document)
    assert "broken" not in policy_module.POLICIES


def test_a_host_policy_is_enforced_on_registration_and_names_the_rule(
        make_app: Callable[..., Flask],
        registered: Callable[[str, Any], PasswordPolicy]) -> None:
    registered("acme", PasswordPolicy(rules=(LengthRule(min=8),
                                             BlocklistRule(blocklist=("acme",),
                                                           substring_match=True,
                                                           identifier="noBrand"))))
    client = make_app({"USERCORE_PASSWORD_POLICY": "acme"}).test_client()
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
