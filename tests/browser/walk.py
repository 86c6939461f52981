"""The walk over the account pages, as steps: each one drives the browser through one page
(or one form of it), checks what it shows, and runs :meth:`Visit.check` (axe-core and the
screenshot ``<name>.<lang>.png``) on every page it reaches.

A step is a function of a :class:`~tests.browser.harness.Visit`; :data:`WALK` lists them in
the order a visitor goes, from signing up to deleting the account (the steps are in
``steps_account.py`` and ``steps_credentials.py``). To add a page: write its step (open it
or follow its link, ``visit.check("<page name>")``, fill its form by the fields' ids,
``visit.press(button id, then=an id of the next page)``, assert what it shows; one bad
input shown next to its field) and put it into :data:`WALK` where a visitor reaches it.
Facts a later step needs (a code, a token's name) go into ``visit.facts``. The walk runs
whole in every language of ``harness.LANGUAGES``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tests.browser import steps_account as account
from tests.browser import steps_credentials as credentials
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
        started = time.monotonic()
        try:
            step.run(visit)
            visit.timings[step.name] = time.monotonic() - started
        except Exception as exc:
            try:
                shot = screenshot(visit.driver, f"failed-{step.name.replace(' ', '-')}")
            except Exception:  # the step's failure is the one to report
                shot = None
            exc.add_note(f"in step {step.name!r} ({visit.lang}) at {visit.driver.current_url};"
                         f" screenshot: {shot}")
            raise


#: The walk through every account page, in the order a visitor goes: from signing up to
#: deleting the account.
WALK: tuple[Step, ...] = (
    Step("sign up", account.sign_up),
    Step("verify e-mail", account.verify_email),
    Step("sign-in form", account.sign_in_form),
    Step("sign-in refused", account.sign_in_refused),
    Step("sign in", account.sign_in),
    Step("home", account.home),
    Step("profile", account.profile),
    Step("profile bad input", account.profile_bad_input),
    Step("password", account.change_password),
    Step("e-mail", account.change_email),
    Step("mfa", account.set_up_mfa),
    Step("sign out", account.sign_out),
    Step("sign in with the code", account.sign_in),
    Step("new recovery codes", account.new_recovery_codes),
    Step("passkeys", credentials.passkeys),
    Step("linked providers", credentials.providers),
    Step("sessions", credentials.sessions),
    Step("api tokens", credentials.api_tokens),
    Step("ssh keys", credentials.ssh_keys),
    Step("connected apps", credentials.connected_apps),
    Step("error page", credentials.error_page),
    Step("forgot password", credentials.forgot_password),
    Step("reset password", credentials.reset_password),
    Step("mfa off", account.turn_mfa_off),
    Step("delete account", credentials.delete_account),
)

