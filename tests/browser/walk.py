"""The walk over the account pages, as steps: each one drives the browser through one page
(or one form of it), checks what it shows, and runs :meth:`Visit.check` (axe-core and the
screenshot ``<name>.<lang>.png``) on every page it reaches.

A step is a function of a :class:`~tests.browser.harness.Visit`; :data:`WALK` lists them in
the order a visitor goes. To add a page: write its step here (open it or follow its link,
``visit.check("<page name>")``, fill its form by the fields' ids, ``visit.press(button id,
then=an id of the next page)``, assert what it shows) and put it into :data:`WALK` where a
visitor reaches it. Facts a later step needs (a code, a token's name) go into
``visit.facts``. The walk runs whole in every language of ``harness.LANGUAGES``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from tests.browser.harness import Visit, screenshot


@dataclass(frozen=True)
class Step:
    """One step of a walk: its name (in failures) and what it does."""

    name: str
    run: Callable[[Visit], None]


def walk(visit: Visit, steps: Sequence[Step]) -> None:
    """Run ``steps`` in order; a failing step is named, and its page shot as
    ``failed-<step>.<lang>.png``."""
    for step in steps:
        try:
            step.run(visit)
        except Exception as exc:
            try:
                shot = screenshot(visit.driver, f"failed-{step.name.replace(' ', '-')}")
            except Exception:  # the step's failure is the one to report
                shot = None
            exc.add_note(f"in step {step.name!r} ({visit.lang}) at {visit.driver.current_url};"
                         f" screenshot: {shot}")
            raise


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
    from selenium.webdriver.common.keys import Keys

    visit.open(visit.path())  # the page afresh: the focus at its start
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
    visit.wait_for("sign-out")
    assert visit.path() == "/account/"


def sign_in_code(visit: Visit, secret: str) -> None:
    """The second step: the code field; a wrong code is refused next to it."""
    import pyotp

    visit.wait_for("multiFactorCode")
    visit.check("sign-in-code")
    visit.fill("password", visit.password)
    visit.fill("multiFactorCode", "000000")
    visit.press("sign-in", then="multiFactorCode-error")
    assert visit.element("multiFactorCode").get_attribute("aria-invalid") == "true"
    assert "multiFactorCode-error" in visit.element("multiFactorCode").get_attribute(
        "aria-describedby")
    visit.check("sign-in-code-refused")
    visit.fill("password", visit.password)
    visit.fill("multiFactorCode", pyotp.TOTP(secret).now())
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


#: The walk through every account page, in the order a visitor goes.
WALK: tuple[Step, ...] = (
    Step("sign-in form", sign_in_form),
    Step("sign-in refused", sign_in_refused),
    Step("sign in", sign_in),
    Step("home", home),
    Step("profile", profile),
    Step("profile bad input", profile_bad_input),
    Step("sign out", sign_out),
)
