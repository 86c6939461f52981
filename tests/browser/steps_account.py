"""The walk's steps from signing up to setting up MFA (``walk.py`` lists them in order):
sign up, verify the e-mail address by the mail's link, sign in (the second factor's step
too), the start page, the profile, the password, the e-mail address (confirmed by the
mail's link) and two-factor authentication (its QR code page and the recovery codes)."""

from __future__ import annotations

import uuid
from urllib.parse import quote

from tests.browser.harness import Visit

#: The password of the walk after its change on the password page, and after its reset.
CHANGED_PASSWORD = "walk changed Pa55word!"
RESET_PASSWORD = "walk reset Pa55word!!"


# -- signing up -------------------------------------------------------------------------


def sign_up(visit: Visit) -> None:
    """From the sign-in page to the sign-up form: a weak password refused next to its
    field, then the account, and the page that asks for the mailed code."""
    visit.open("/account/sign-in")
    visit.wait_for("sign-up-link")
    visit.press("sign-up-link", then="sign-up-form")
    visit.check("sign-up")
    visit.fill("firstName", "Ada")
    visit.fill("lastName", "Lovelace")
    visit.fill("email", visit.email)
    visit.refused("password", "short", "sign-up", "sign-up-refused")
    assert not visit.served.mails_to(visit.email)  # nothing made
    visit.fill("password", visit.password)
    visit.press("sign-up", then="verify-email-form")
    assert "sent=1" in visit.path()
    visit.check("verify-email")


def verify_email(visit: Visit) -> None:
    """A wrong code refused next to its field, and a malformed address on the form that
    sends the mail again; then the mail's link fills the form in, and its button verifies
    the address."""
    visit.fill("email", visit.email)
    visit.refused("token", "000000", "verify-email", "verify-email-refused")
    visit.fill("resend-email", "not an address")  # the form that sends the mail again
    visit.press("resend-mail", then="resend-email-error")
    visit.refused_at("resend-email")
    visit.check("resend-email-refused")
    visit.open(visit.mail_link(visit.email, "/account/verify-email"))
    visit.wait_for("verify-email-form")
    assert visit.element("token").get_attribute("value")
    visit.press("verify-email", then="sign-in-link")
    assert "verified=1" in visit.path()
    visit.check("verify-email-done")


# -- signing in -------------------------------------------------------------------------


def sign_in_form(visit: Visit) -> None:
    """The host's home links to the account; a visitor is sent on to the sign-in page,
    with ``next``."""
    visit.open("/")
    visit.press("account", then="sign-in-form")  # example_app's page of links
    assert visit.path() == f"/account/sign-in?next={quote('/account/', safe='/')}"
    visit.check("sign-in")


def sign_in_refused(visit: Visit) -> None:
    """A wrong password: the form again with the message above it, nothing signed in."""
    visit.fill("email", visit.email)
    visit.fill("password", "not the password 1")
    visit.press("sign-in", then="form-errors")
    assert visit.has("sign-in-form")
    visit.check("sign-in-refused")


def sign_in(visit: Visit) -> None:
    """The password (and the code when the account has MFA on), by keyboard only: the
    skip link first, Tab to each field, Enter sends the form. Then the start page."""
    from urllib.parse import parse_qs, urlsplit

    from selenium.webdriver.common.keys import Keys

    visit.open(visit.path())  # the page afresh: the focus at its start
    target = parse_qs(urlsplit(visit.path()).query).get("next", ["/account/"])[0]
    visit.wait_for("sign-in-form")
    visit.type_keys(Keys.TAB)
    assert visit.driver.switch_to.active_element.get_attribute("href").endswith("#main")
    visit.tab_to("email").clear()
    visit.type_keys(visit.email)
    visit.tab_to("password")
    visit.next_page(lambda: visit.type_keys(visit.password, Keys.ENTER), then="main")
    secret = visit.facts.get("totp_secret")
    if secret is not None:
        sign_in_code(visit, secret)
    visit.wait_for("main")
    assert visit.path() == target


def sign_in_code(visit: Visit, secret: str) -> None:
    """The second step: the code field; a wrong code is refused next to it (shot the first
    time only)."""
    visit.wait_for("multiFactorCode")
    first = "sign-in-code" not in visit.checked
    if first:
        visit.check("sign-in-code")
    visit.fill("password", visit.password)
    visit.fill("multiFactorCode", "000000")
    visit.press("sign-in", then="multiFactorCode-error")
    assert visit.element("multiFactorCode").get_attribute("aria-invalid") == "true"
    assert "multiFactorCode-error" in visit.element("multiFactorCode").get_attribute(
        "aria-describedby")
    if first:
        visit.check("sign-in-code-refused")
    visit.fill("password", visit.password)
    visit.fill("multiFactorCode", visit.totp_code(secret))
    visit.press("sign-in", then="main")


# -- the account ------------------------------------------------------------------------


def home(visit: Visit) -> None:
    """The account's start page: who is signed in, and the pages."""
    assert visit.email in visit.element("main").text
    visit.check("home")


def profile(visit: Visit) -> None:
    """The profile, reached by its link, filled with the stored names; saved."""
    visit.element("main").find_element(visit.by.LINK_TEXT,
                                       "Profil" if visit.lang == "de" else "Profile").click()
    visit.wait_for("profile-form")
    assert visit.element("firstName").get_attribute("value") == "Ada"
    assert visit.element("firstName").get_attribute("required") == "true"
    assert visit.element("nickname").get_attribute("required") is None  # optional
    visit.check("profile")
    visit.fill("firstName", "Grace")
    visit.fill("nickname", f"grace-{uuid.uuid4().hex[:8]}")  # nicknames are unique
    visit.press("save", then="profile-form")
    assert "saved=1" in visit.path()
    assert visit.driver.find_element(visit.by.CSS_SELECTOR, ".notice[role=status]")
    assert visit.element("firstName").get_attribute("value") == "Grace"
    visit.check("profile-saved")


def profile_bad_input(visit: Visit) -> None:
    """An empty first name: the form again, the error tied to the field, nothing stored."""
    visit.fill("firstName", "")
    visit.fill("lastName", "Hopper")
    visit.press("save", then="firstName-error")
    field = visit.element("firstName")
    assert field.get_attribute("aria-invalid") == "true"
    assert field.get_attribute("aria-describedby") == "firstName-error"
    assert visit.element("firstName-error").text
    visit.check("profile-refused")
    visit.open("/account/profile")
    visit.wait_for("profile-form")
    assert visit.element("lastName").get_attribute("value") == "Lovelace"  # nothing written
    assert visit.element("firstName").get_attribute("value") == "Grace"


def sign_out(visit: Visit) -> None:
    """Sign out on the start page: the sign-in page; the account asks for sign-in again."""
    visit.open("/account/")
    visit.wait_for("sign-out")
    visit.press("sign-out", then="sign-in-form")
    assert visit.path() == "/account/sign-in"
    visit.open("/account/profile")
    visit.wait_for("sign-in-form")




# -- credentials ------------------------------------------------------------------------


def change_password(visit: Visit) -> None:
    """From the start page: a wrong current password refused next to its field, then the
    new password (this session stays, on a new cookie)."""
    visit.open("/account/")
    visit.wait_for("go-password")
    visit.press("go-password", then="password-form")
    visit.check("password")
    visit.fill("oldPassword", "not the password 1")
    visit.fill("newPassword", CHANGED_PASSWORD)
    visit.press("change-password", then="oldPassword-error")
    visit.refused_at("oldPassword")
    visit.check("password-refused")
    visit.fill("oldPassword", visit.password)
    visit.fill("newPassword", CHANGED_PASSWORD)
    visit.press("change-password", then="password-form")
    assert "saved=1" in visit.path()
    visit.password = CHANGED_PASSWORD
    visit.check("password-saved")


def change_email(visit: Visit) -> None:
    """A malformed address refused next to its field; a new one waits for the link mailed
    to it; the link's page confirms it."""
    visit.open("/account/")
    visit.wait_for("go-email")
    visit.press("go-email", then="email-form")
    visit.check("email")
    visit.fill("email", "not an address")
    visit.fill("password", visit.password)
    visit.press("change-email", then="email-error")
    visit.refused_at("email")
    visit.check("email-refused")
    new = visit.email.replace("@", ".new@")
    visit.fill("email", new)
    visit.fill("password", visit.password)
    visit.press("change-email", then="pending-email")
    assert new in visit.element("pending-email").text
    visit.check("email-sent")
    visit.open(visit.mail_link(new, "/account/email/confirm"))
    visit.wait_for("email-confirm-form")
    visit.check("email-confirm")
    visit.press("confirm-email", then="current-email")
    assert "confirmed=1" in visit.path()
    assert new in visit.element("current-email").text
    visit.email = new
    visit.check("email-confirmed")


def set_up_mfa(visit: Visit) -> None:
    """The MFA page: a wrong password refused next to its field; the QR code page and its
    key; a wrong code refused; the right one (computed from the key) turns MFA on and
    shows the recovery codes."""
    visit.open("/account/")
    visit.wait_for("go-mfa")
    visit.press("go-mfa", then="mfa-setup-form")
    visit.check("mfa")
    visit.refused("setup-password", "not the password 1", "mfa-start", "mfa-refused")
    visit.fill("setup-password", visit.password)
    visit.press("mfa-start", then="mfa-secret")
    assert visit.element("mfa-qr").get_attribute("alt")
    secret = visit.element("mfa-secret").text.replace(" ", "")
    visit.check("mfa-set-up")
    visit.refused("confirm-multiFactorCode", "000000", "mfa-confirm", "mfa-confirm-refused")
    visit.facts["totp_secret"] = secret
    visit.fill("confirm-multiFactorCode", visit.totp_code(secret))
    visit.press("mfa-confirm", then="recovery-codes")
    codes = [item.text for item in
             visit.element("recovery-codes").find_elements(visit.by.TAG_NAME, "li")]
    assert len(codes) >= 2 and all(codes)
    visit.facts["recovery_codes"] = codes
    visit.check("recovery-codes")
    visit.press("recovery-codes-done", then="mfa-codes-form")
    visit.check("mfa-on")


def _mfa_form_refuses_a_wrong_code(visit: Visit, prefix: str, button: str, shot: str) -> None:
    """The MFA page's form ``prefix`` (``codes``, ``disable``): a wrong code is refused next
    to its field."""
    field = f"{prefix}-multiFactorCode"
    visit.open("/account/mfa")
    visit.wait_for(field)
    visit.refused(field, "000000", button, shot)


def new_recovery_codes(visit: Visit) -> None:
    """MFA is on: a wrong code refused next to its field; the app's code makes new recovery
    codes, which replace the old ones."""
    _mfa_form_refuses_a_wrong_code(visit, "codes", "mfa-new-codes", "mfa-new-codes-refused")
    visit.fill("codes-multiFactorCode", visit.totp_code(visit.facts["totp_secret"]))
    visit.press("mfa-new-codes", then="recovery-codes")
    codes = [item.text for item in
             visit.element("recovery-codes").find_elements(visit.by.TAG_NAME, "li")]
    assert len(codes) >= 2 and all(codes) and not set(codes) & set(visit.facts["recovery_codes"])
    visit.facts["recovery_codes"] = codes
    visit.check("recovery-codes-new")


def turn_mfa_off(visit: Visit) -> None:
    """A wrong code refused next to its field; a recovery code turns MFA off: the page
    offers the set-up again, and signing in asks for no code."""
    _mfa_form_refuses_a_wrong_code(visit, "disable", "mfa-disable", "mfa-off-refused")
    visit.fill("disable-multiFactorCode", visit.facts["recovery_codes"].pop())
    visit.press("mfa-disable", then="mfa-setup-form")
    assert "off=1" in visit.path()
    del visit.facts["totp_secret"]
    visit.check("mfa-off")
