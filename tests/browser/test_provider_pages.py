"""Signing in with another provider and the linked providers in headless Chromium, in each
language, against a real OpenID provider (a second example_app over a socket,
tests/contract/providers_support.py): the sign-in page's provider button, the provider's
login and consent pages, the code step of an account with MFA, linking and unlinking on the
providers page. axe-core and a screenshot on every page of ours (the walk's serves no
provider)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyotp
from flask import Flask

from tests.browser.harness import Visit
from tests.browser.steps_credentials import confirm
from tests.conftest import PASSWORD
from tests.contract.providers_support import add_user
from tests.contract.served import Served
from tests.contract.test_providers import EMAIL
from tests.contract.test_providers import base as base  # the provider's fixtures
from tests.contract.test_providers import ours as ours
from tests.contract.test_providers import relying as relying
from tests.contract.test_providers import rp as rp

PAGES = {"USERCORE_PAGES": True}
#: The relying app's own account, which links the provider's.
LOCAL = "ada@relying.example"


def _visit(browser: Any, base: str, lang: str, email: str, outbox: Path) -> Visit:
    return Visit(browser, Served(base, outbox), lang, email, PASSWORD)


def _at_the_provider(visit: Visit, then: str) -> None:
    """The provider's login page (its account ``EMAIL``), then its consent page, allowed
    (asked once per client: not again in the next language); back at the relying app's
    page with the element ``then``."""
    visit.wait_for("login-form")
    visit.fill("email", EMAIL)
    visit.fill("password", PASSWORD)
    visit.press("sign-in")
    if visit.driver.find_elements(visit.by.ID, "consent-form"):
        visit.press("allow")
    visit.wait_for(then)
    assert visit.driver.current_url.startswith(visit.served.base_url)


def test_sign_in_with_a_provider_and_the_code_step(
        browser: Any, lang: str, rp: Callable[..., Flask], base: str, tmp_path: Path) -> None:
    app = rp(trust_email=True, _config=PAGES)
    _, seed = add_user(app, EMAIL, mfa=True)
    assert seed is not None
    visit = _visit(browser, base, lang, EMAIL, tmp_path)
    visit.open("/account/sign-in")
    visit.wait_for("provider-ours")
    visit.check("sign-in-providers")
    visit.press("provider-ours", then="login-form")
    _at_the_provider(visit, then="provider-code-form")
    assert visit.path() == "/account/sign-in/provider"
    visit.check("provider-code")
    visit.refused("multiFactorCode", "000000", "provider-code", "provider-code-refused")
    visit.fill("multiFactorCode", pyotp.TOTP(seed).now())
    visit.press("provider-code", then="main")
    assert visit.path() == "/account/"
    assert visit.has("nav-sessions")  # signed in: the account's navigation


def test_link_and_unlink_a_provider(browser: Any, lang: str, rp: Callable[..., Flask],
                                    base: str, tmp_path: Path) -> None:
    app = rp(_config=PAGES)
    add_user(app, LOCAL)
    visit = _visit(browser, base, lang, LOCAL, tmp_path)
    visit.open("/account/sign-in")
    visit.wait_for("sign-in-form")
    visit.fill("email", LOCAL)
    visit.fill("password", PASSWORD)
    visit.press("sign-in", then="main")
    visit.open("/account/providers")
    visit.wait_for("link-ours")
    assert not visit.has("identities")
    visit.check("providers-none")
    visit.press("link-ours", then="login-form")  # a fresh session: no password asked
    _at_the_provider(visit, then="unlink-ours")
    assert "linked=ours" in visit.path()
    assert EMAIL in visit.element("identities").text
    visit.check("providers-linked")
    visit.press("unlink-ours", then="unlink-provider-form")
    visit.check("provider-unlink")
    confirm(visit, "unlink", then="link-ours", refused="provider-unlink-refused")
    assert "unlinked=ours" in visit.path() and not visit.has("identities")
    visit.check("providers-unlinked")
