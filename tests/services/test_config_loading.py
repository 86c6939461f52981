"""config.load_config: typed, validated USERCORE_* settings with the SECRET_KEY fallback."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from flask_usercore import ConfigError, UserCoreConfig
from flask_usercore.config import load_config

SECRET = "a-secret-of-more-than-16-characters"


def test_defaults_with_secret_key_fallback() -> None:
    config = load_config({"SECRET_KEY": SECRET, "DEBUG": True, "SQLALCHEMY_ECHO": "x"})
    assert config.secret_key == SECRET
    assert config == UserCoreConfig(secret_key=SECRET)
    assert (config.url_prefix, config.access_token_ttl, config.code_max_attempts) == (
        "/v2", 3600, 5)
    assert config.password_policy == "mittwald"
    assert config.outbox_path is None


def test_usercore_secret_key_wins_over_secret_key() -> None:
    config = load_config({"SECRET_KEY": SECRET, "USERCORE_SECRET_KEY": "x" * 16})
    assert config.secret_key == "x" * 16


def test_empty_usercore_secret_key_falls_back() -> None:
    assert load_config({"SECRET_KEY": SECRET, "USERCORE_SECRET_KEY": ""}).secret_key == SECRET


def test_values_are_read_and_the_result_is_frozen(tmp_path: Path) -> None:
    config = load_config({
        "SECRET_KEY": SECRET, "USERCORE_URL_PREFIX": "/api/v2", "USERCORE_ACCESS_TOKEN_TTL": 60,
        "USERCORE_REQUIRE_VERIFIED_EMAIL": False, "USERCORE_COOKIE_SAMESITE": "Strict",
        "USERCORE_MAIL_OUTBOX": str(tmp_path)})
    assert (config.url_prefix, config.access_token_ttl) == ("/api/v2", 60)
    assert config.require_verified_email is False
    assert config.cookie_samesite == "Strict"
    assert config.outbox_path == tmp_path
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.access_token_ttl = 1  # type: ignore[misc]


@pytest.mark.parametrize("key", ["USERCORE_ACESS_TOKEN_TTL", "USERCORE_", "USERCORE_secret"])
def test_unknown_key(key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        load_config({"SECRET_KEY": SECRET, key: 1})


@pytest.mark.parametrize(("key", "value"), [
    ("USERCORE_ACCESS_TOKEN_TTL", "3600"),
    ("USERCORE_ACCESS_TOKEN_TTL", 3600.0),
    ("USERCORE_CODE_MAX_ATTEMPTS", True),
    ("USERCORE_REQUIRE_VERIFIED_EMAIL", 1),
    ("USERCORE_REQUIRE_VERIFIED_EMAIL", "false"),
    ("USERCORE_URL_PREFIX", None),
    ("USERCORE_SECRET_KEY", b"0123456789abcdef0123"),
    ("USERCORE_COOKIE_SAMESITE", 1),
    ("USERCORE_MAIL_OUTBOX", Path("/tmp")),  # noqa: S108 (never used as a path)
])
def test_wrong_type(key: str, value: Any) -> None:
    with pytest.raises(ConfigError, match=key):
        load_config({"SECRET_KEY": SECRET, key: value})


@pytest.mark.parametrize("app_config", [
    {},
    {"SECRET_KEY": None},
    {"SECRET_KEY": "short"},
    {"SECRET_KEY": "x" * 15},
    {"SECRET_KEY": SECRET, "USERCORE_SECRET_KEY": "too-short"},
])
def test_short_or_missing_secret(app_config: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config(app_config)


def test_secret_of_16_characters_is_enough() -> None:
    assert load_config({"SECRET_KEY": "x" * 16}).secret_key == "x" * 16


@pytest.mark.parametrize(("key", "value"), [
    ("USERCORE_URL_PREFIX", "v2"),
    ("USERCORE_URL_PREFIX", "/v2/"),
    ("USERCORE_ACCESS_TOKEN_TTL", 0),
    ("USERCORE_CODE_TTL", -1),
    ("USERCORE_CODE_MAX_ATTEMPTS", 0),
    ("USERCORE_ARGON2_MEMORY_COST", 0),
    ("USERCORE_COOKIE_SAMESITE", "lax"),
])
def test_wrong_value(key: str, value: Any) -> None:
    with pytest.raises(ConfigError, match=key):
        load_config({"SECRET_KEY": SECRET, key: value})


def test_config_error_is_a_value_error() -> None:
    assert issubclass(ConfigError, ValueError)


def test_init_app_fails_at_start_up(make_app: Callable[..., Flask]) -> None:
    with pytest.raises(ConfigError, match="USERCORE_CODE_TTL"):
        make_app({"USERCORE_CODE_TTL": "1 day"})


def test_init_app_exposes_the_config(make_app: Callable[..., Flask]) -> None:
    app = make_app({"USERCORE_CODE_TTL": 600})
    state = app.extensions["usercore"]
    assert state.config.code_ttl == 600
    assert state.deps.config is state.config
    assert state.config.secret_key == app.config["SECRET_KEY"]


@pytest.mark.parametrize(("value", "expected"), [(None, True), (True, True), (False, False)])
def test_sqlite_foreign_keys_is_on_unless_turned_off(value: bool | None,
                                                     expected: bool) -> None:
    given = {} if value is None else {"USERCORE_SQLITE_FOREIGN_KEYS": value}
    assert load_config({"SECRET_KEY": SECRET, **given}).sqlite_foreign_keys is expected


@pytest.mark.parametrize("value", ["false", 0, None])
def test_sqlite_foreign_keys_must_be_a_bool(value: Any) -> None:
    with pytest.raises(ConfigError, match="USERCORE_SQLITE_FOREIGN_KEYS"):
        load_config({"SECRET_KEY": SECRET, "USERCORE_SQLITE_FOREIGN_KEYS": value})


@pytest.mark.parametrize("name", ["", "no/pe", "x" * 65, "acme policy"])
def test_a_password_policy_that_is_no_name_is_refused(name: str) -> None:
    with pytest.raises(ConfigError, match="USERCORE_PASSWORD_POLICY"):
        load_config({"SECRET_KEY": "k" * 32, "USERCORE_PASSWORD_POLICY": name})


def test_an_unregistered_password_policy_is_refused_at_start_up(
        make_app: Callable[..., Flask]) -> None:
    # a well-formed name: load_config takes it, init_app looks it up in the app's registry
    assert load_config({"SECRET_KEY": "k" * 32,
                        "USERCORE_PASSWORD_POLICY": "nope"}).password_policy == "nope"
    with pytest.raises(ConfigError, match=r"USERCORE_PASSWORD_POLICY must be one of "
                                          r"\['mittwald'\]: register 'nope'"):
        make_app({"USERCORE_PASSWORD_POLICY": "nope"})


@pytest.mark.parametrize("uri", ["foo://x", "async+memory://", "redis"])
def test_unknown_rate_limit_storage_is_refused_at_start_up(
        make_app: Callable[..., Flask], uri: str) -> None:
    with pytest.raises(ConfigError, match="USERCORE_RATELIMIT_STORAGE_URI"):
        make_app({"USERCORE_RATELIMIT_STORAGE_URI": uri})


def test_providers_are_checked_at_load() -> None:
    config = load_config({"SECRET_KEY": SECRET, "USERCORE_PROVIDERS": {
        "github": {"kind": "github", "client_id": "i", "client_secret": "s"},
        "sso": {"issuer": "https://sso.example.com/realms/a", "client_id": "i",
                "client_secret": "s", "allow_signup": True}}})
    github, sso = config.providers["github"], config.providers["sso"]
    assert (github.issuer, github.scope, github.title) == (
        "https://github.com", "read:user user:email", "GitHub")
    assert sso.discovery_url == "https://sso.example.com/realms/a/.well-known/openid-configuration"
    assert sso.allow_signup and not sso.trust_email and sso.scope == "openid email profile"


@pytest.mark.parametrize(("providers", "says"), [
    ([], "must be a dict"),
    ({"Bad Name": {}}, "a provider's name"),
    ({"a": {"client_id": "i", "client_secret": "s"}}, "['issuer'] must be a non-empty"),
    ({"a": {"issuer": "https://x", "client_secret": "s"}}, "['client_id']"),
    ({"a": {"issuer": "ftp://x", "client_id": "i", "client_secret": "s"}}, "http(s) URL"),
    ({"a": {"issuer": "https://x", "client_id": "i", "client_secret": "s", "scope": "email"}},
     "must include 'openid'"),
    ({"a": {"issuer": "https://x", "client_id": "i", "client_secret": "s", "colour": 1}},
     "unknown settings ['colour']"),
    ({"a": {"kind": "gitlab", "client_id": "i", "client_secret": "s"}}, "['kind']"),
    ({"a": {"kind": "google", "issuer": "https://x", "client_id": "i",
            "client_secret": "s"}}, "preset's issuer"),
    ({"a": {"issuer": "https://x", "client_id": "i", "client_secret": "s",
            "allow_signup": "yes"}}, "must be true or false"),
])
def test_a_wrong_provider_is_a_config_error(providers: Any, says: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_config({"SECRET_KEY": SECRET, "USERCORE_PROVIDERS": providers})
    assert says in str(refused.value)


@pytest.mark.parametrize("url", ["https://app.example.com/after", "/after"])
def test_the_provider_return_url(url: str) -> None:
    assert load_config({"SECRET_KEY": SECRET,
                        "USERCORE_PROVIDER_RETURN_URL": url}).provider_return_url == url
    with pytest.raises(ConfigError, match="USERCORE_PROVIDER_RETURN_URL"):
        load_config({"SECRET_KEY": SECRET, "USERCORE_PROVIDER_RETURN_URL": "//evil.example"})
