"""docs/oauth2.md, run: the host route that serves OpenID Connect discovery at the issuer's
root when the issuer is the host's origin (section 5)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Flask
from joserfc.jwk import RSAKey

from tests.docs_support import section
from tests.host_support import REPOSITORY

OAUTH2 = REPOSITORY / "docs" / "oauth2.md"
ISSUER = "http://localhost"  # the test client's origin


def test_discovery_at_the_root_of_an_issuer_that_is_the_hosts_origin(
        make_app: Callable[..., Flask]) -> None:
    config = {"USERCORE_OAUTH2_JWT_KEY": RSAKey.generate_key(2048).as_pem(
        private=True).decode(), "USERCORE_OAUTH2_ISSUER": ISSUER}
    without = make_app(config).test_client()
    assert without.get("/.well-known/openid-configuration").status_code == 404
    app = make_app(config)
    [snippet] = [block.text for block in section(OAUTH2, "5.") if block.lang == "python"]
    exec(compile(snippet, str(OAUTH2), "exec"), {"app": app})  # noqa: S102 (the docs' code)
    client = app.test_client()

    root = client.get("/.well-known/openid-configuration")
    assert root.status_code == 200
    doc = root.json
    assert doc["issuer"] == ISSUER
    assert doc == client.get("/v2/.well-known/openid-configuration").json
    for name in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri",
                 "revocation_endpoint", "introspection_endpoint"):
        assert doc[name].startswith(f"{ISSUER}/v2/oauth2/"), (name, doc[name])
    assert client.get(urlsplit(doc["jwks_uri"]).path).json["keys"]
    assert client.get(urlsplit(doc["authorization_endpoint"]).path).status_code == 400
    rfc8414 = client.get("/.well-known/oauth-authorization-server")
    assert rfc8414.status_code == 200 and rfc8414.json["issuer"] == ISSUER
