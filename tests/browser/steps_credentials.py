"""The walk's steps from the passkeys to deleting the account (``walk.py`` lists them in
order): passkeys (added with Chrome's virtual authenticator, renamed, removed), the linked
providers, the sessions (another one ended), API tokens and SSH keys (created, edited,
deleted), a connected app (allowed on the OAuth2 consent page, then disconnected), the
error page, forgot and reset the password by the mail's link, delete the account."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from tests.browser.harness import Visit
from tests.browser.steps_account import RESET_PASSWORD, sign_in, sign_out

#: A name longer than a passkey's name may be (64 characters).
TOO_LONG = "x" * 65


def _first_row_link(visit: Visit, table_id: str, prefix: str) -> Any:
    """The link whose id starts with ``prefix`` in the table ``table_id``."""
    return visit.element(table_id).find_element(visit.by.CSS_SELECTOR, f"a[id^='{prefix}']")


def confirm(visit: Visit, button_id: str, then: str, refused: str | None = None) -> None:
    """A confirmation step: sent without its checkbox it is refused next to it (the page
    then checked as ``refused``, when given); then ticked and sent."""
    visit.press(button_id, then="confirm-error")
    visit.refused_at("confirm")
    if refused is not None:
        visit.check(refused)
    visit.element("confirm").click()
    visit.press(button_id, then=then)


# -- passkeys and providers -------------------------------------------------------------


def passkeys(visit: Visit) -> None:
    """The passkeys page: a name too long refused next to its field; then a passkey made
    by the browser's (virtual) authenticator, its page, an empty name refused, removed."""
    from selenium.webdriver.common.virtual_authenticator import (
        Protocol,
        Transport,
        VirtualAuthenticatorOptions,
    )

    visit.open("/account/passkeys")
    visit.wait_for("passkey-add-form")
    visit.driver.add_virtual_authenticator(VirtualAuthenticatorOptions(
        protocol=Protocol.CTAP2, transport=Transport.INTERNAL, has_resident_key=True,
        has_user_verification=True, is_user_verified=True))
    visit.check("passkeys")
    visit.set_value("name", TOO_LONG)  # typed, the field's maxlength would cut it
    visit.press("passkey-add", then="name-error")
    visit.refused_at("name")
    visit.check("passkeys-refused")
    visit.fill("name", "Walk browser")
    visit.press("passkey-add", then="passkey-create-form")
    visit.check("passkey-create")
    visit.next_page(lambda: visit.element("passkey-create").click(), then="passkey-list")
    assert "added=1" in visit.path()
    assert "Walk browser" in visit.element("passkey-list").text
    visit.check("passkeys-added")
    visit.next_page(_first_row_link(visit, "passkey-list", "passkey-edit-").click,
                    then="passkey-rename-form")
    visit.check("passkey")
    visit.refused("name", "", "passkey-rename", "passkey-refused")
    visit.element("confirm").click()
    visit.press("passkey-delete", then="passkey-none")
    assert "removed=1" in visit.path()


def providers(visit: Visit) -> None:
    """The linked providers page. The served app configures no provider: the page says
    none is linked and offers none to link (no link to it in the navigation)."""
    visit.open("/account/providers")
    visit.wait_for("main")
    assert not visit.has("link-provider-form")
    visit.check("providers")


# -- sessions, API tokens, SSH keys, apps ----------------------------------------------


def _api_session(visit: Visit) -> None:
    """Another session, signed in through the API with a recovery code as its second
    factor."""
    import httpx

    with httpx.Client(base_url=visit.served.base_url) as http:
        first = http.post("/v2/authenticate", json={"email": visit.email,
                                                    "password": visit.password})
        assert first.status_code == 202, first.text  # the second factor, please
        signed_in = http.post("/v2/authenticate-mfa", json={
            "email": visit.email, "password": visit.password,
            "multiFactorCode": visit.facts["recovery_codes"].pop()})
        assert signed_in.status_code == 200, signed_in.text


def _session_rows(visit: Visit) -> int:
    return len(visit.element("sessions").find_elements(visit.by.CSS_SELECTOR, "tbody tr"))


def sessions(visit: Visit) -> None:
    """Another session ended from the sessions page, confirmed; then two more ended at
    once ("end all other sessions"), confirmed."""
    _api_session(visit)
    visit.open("/account/")
    visit.wait_for("home-sessions")
    visit.press("home-sessions", then="sessions")
    assert visit.has("this-session")
    visit.check("sessions")
    visit.next_page(_first_row_link(visit, "sessions", "end-").click, then="end-session-form")
    visit.check("session-end")
    visit.press("end-session", then="confirm-error")
    visit.refused_at("confirm")
    visit.check("session-end-refused")
    visit.element("confirm").click()
    visit.press("end-session", then="sessions")
    assert "ended=one" in visit.path()
    assert _session_rows(visit) == 1
    assert not visit.has("end-others-link")  # nothing else to end
    visit.check("sessions-ended")
    _api_session(visit)
    _api_session(visit)
    visit.open("/account/sessions")
    visit.wait_for("end-others-link")
    assert _session_rows(visit) == 3
    visit.press("end-others-link", then="end-other-sessions-form")
    visit.check("sessions-end-others")
    confirm(visit, "end-other-sessions", then="sessions")
    assert "ended=others" in visit.path()
    assert _session_rows(visit) == 1 and visit.has("this-session")
    visit.check("sessions-others-ended")


def api_tokens(visit: Visit) -> None:
    """An API token: an empty description refused next to its field; created (shown
    once); edited (an empty description refused); deleted, confirmed."""
    visit.open("/account/")
    visit.wait_for("home-api-tokens")
    visit.press("home-api-tokens", then="create-api-token-form")
    visit.check("api-tokens")
    visit.refused("description", "", "create-api-token", "api-tokens-refused")
    visit.fill("description", "Walk script")
    visit.press("create-api-token", then="new-token")
    assert visit.element("new-token").text
    visit.check("api-token-created")
    visit.next_page(_first_row_link(visit, "api-tokens", "edit-").click,
                    then="edit-api-token-form")
    visit.check("api-token-edit")
    visit.refused("description", "", "save", "api-token-edit-refused")
    visit.fill("description", "Walk script, renamed")
    visit.press("save", then="api-tokens")
    assert "Walk script, renamed" in visit.element("api-tokens").text
    visit.next_page(_first_row_link(visit, "api-tokens", "delete-").click,
                    then="delete-api-token-form")
    visit.check("api-token-delete")
    confirm(visit, "delete-api-token", then="no-api-tokens")
    visit.check("api-tokens-deleted")


def ssh_keys(visit: Visit) -> None:
    """An SSH key: a line that is no key refused next to its field; an ed25519 key made
    here added; edited (an expiry in the past refused); deleted, confirmed."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    line = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    visit.open("/account/")
    visit.wait_for("home-ssh-keys")
    visit.press("home-ssh-keys", then="add-ssh-key-form")
    visit.check("ssh-keys")
    visit.refused("publicKey", "ssh-ed25519 not-a-key", "add-ssh-key", "ssh-keys-refused")
    visit.fill("publicKey", line)
    visit.fill("comment", "walk@laptop")
    visit.press("add-ssh-key", then="ssh-keys")
    assert "added=1" in visit.path()
    visit.check("ssh-keys-added")
    visit.next_page(_first_row_link(visit, "ssh-keys", "edit-").click,
                    then="edit-ssh-key-form")
    visit.check("ssh-key-edit")
    visit.set_value("expiresAt", "2000-01-01T00:00")
    visit.press("save", then="expiresAt-error")
    visit.refused_at("expiresAt")
    visit.check("ssh-key-edit-refused")
    visit.set_value("expiresAt", "")
    visit.fill("comment", "walk@desktop")
    visit.press("save", then="ssh-keys")
    assert "walk@desktop" in visit.element("ssh-keys").text
    visit.next_page(_first_row_link(visit, "ssh-keys", "delete-").click,
                    then="delete-ssh-key-form")
    visit.check("ssh-key-delete")
    confirm(visit, "delete-ssh-key", then="no-ssh-keys")


def connected_apps(visit: Visit) -> None:
    """An app allowed on the OAuth2 consent page (signed in by the cookie: no login page),
    listed on the connected apps page, disconnected (confirmed)."""
    from urllib.parse import parse_qs

    from selenium.webdriver.support import expected_conditions as until
    from selenium.webdriver.support.ui import WebDriverWait

    client = visit.facts["oauth2_client"]
    callback = client["redirect_uri"]
    visit.open("/v2/oauth2/authorize?" + urlencode({
        "response_type": "code", "client_id": client["client_id"], "redirect_uri": callback,
        "scope": "profile", "state": "walk",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256"}))
    visit.wait_for("consent-form")
    visit.check("oauth2-consent")
    visit.element("allow").click()
    WebDriverWait(visit.driver, 20).until(until.url_contains("/callback?"))
    assert parse_qs(urlsplit(visit.driver.current_url).query)["state"] == ["walk"]
    visit.open("/account/")
    visit.wait_for("home-apps")
    visit.press("home-apps", then="apps")
    visit.check("apps")
    visit.next_page(_first_row_link(visit, "apps", "revoke-").click, then="revoke-app-form")
    visit.check("app-revoke")
    confirm(visit, "revoke-app", then="no-apps")
    assert "revoked=1" in visit.path()
    visit.check("apps-revoked")


def error_page(visit: Visit) -> None:
    """An API token that is not there: the error page (404)."""
    visit.open("/account/api-tokens/00000000-0000-0000-0000-000000000000/edit")
    visit.wait_for("main")
    assert visit.driver.find_element(visit.by.CSS_SELECTOR, "#main [role=alert]").text
    visit.check("error")


# -- the password forgotten, the account deleted --------------------------------------


def forgot_password(visit: Visit) -> None:
    """Signed out, from the sign-in page: a malformed address refused next to its field;
    then the mail with the link is on its way."""
    sign_out(visit)
    visit.open("/account/sign-in")
    visit.wait_for("forgot-password-link")
    visit.press("forgot-password-link", then="forgot-password-form")
    visit.check("forgot-password")
    visit.refused("email", "not an address", "send-reset-mail", "forgot-password-refused")
    visit.fill("email", visit.email)
    visit.press("send-reset-mail", then="forgot-password-form")
    assert "sent=1" in visit.path()
    visit.check("forgot-password-sent")


def reset_password(visit: Visit) -> None:
    """The mail's link: a weak password refused next to its field, then the new one;
    signed in with it (and the code)."""
    visit.open(visit.mail_link(visit.email, "/account/password/reset"))
    visit.wait_for("reset-password-form")
    assert visit.element("token").get_attribute("value")
    visit.check("reset-password")
    visit.refused("password", "short", "set-password", "reset-password-refused")
    visit.fill("password", RESET_PASSWORD)
    visit.press("set-password", then="sign-in-link")
    assert "done=1" in visit.path()
    visit.password = RESET_PASSWORD
    visit.check("reset-password-done")
    visit.press("sign-in-link", then="sign-in-form")
    sign_in(visit)


def delete_account(visit: Visit) -> None:
    """The delete page: a wrong password refused next to its field; then the password
    (and a recovery code while MFA is on) and the checkbox; the "deleted" page; the
    account is gone."""
    visit.open("/account/")
    visit.wait_for("go-delete")
    visit.press("go-delete", then="delete-form")
    visit.check("delete")
    mfa = visit.has("multiFactorCode")  # asked for while MFA is on
    assert mfa == ("totp_secret" in visit.facts)
    visit.fill("password", "not the password 1")
    if mfa:
        visit.fill("multiFactorCode", visit.facts["recovery_codes"].pop())
    visit.element("confirm").click()
    visit.press("delete-account", then="password-error")
    visit.refused_at("password")
    visit.check("delete-refused")
    visit.fill("password", visit.password)
    if mfa:  # a recovery code: a sign-in may just have used the authenticator's next code
        visit.fill("multiFactorCode", visit.facts["recovery_codes"].pop())
    if not visit.element("confirm").is_selected():
        visit.element("confirm").click()
    visit.press("delete-account", then="deleted")
    assert visit.path() == "/account/deleted"
    visit.check("deleted")
    visit.open("/account/")
    visit.wait_for("sign-in-form")
