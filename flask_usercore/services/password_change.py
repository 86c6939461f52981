"""Changing the password with the old one (``PUT /v2/users/self/credentials/password``)."""

from __future__ import annotations

import datetime as dt
import unicodedata

from sqlalchemy import update

from .. import signals
from ..commands.passwords import ChangePassword
from ..errors import N_, ValidationFailed
from ..models import Credential, CredentialKind, User
from ..security.tokens import hash_token, new_token
from .authentication import IssuedSession, start_session
from .context import Auth, ClientInfo, Deps, after_commit, expiry, send_mail
from .mfa import check_second_factor
from .passwords import (
    check_current_password,
    check_new_password,
    forget_failures,
    personal_names,
    store_password_hash,
)
from .reauth import ONE_TIME_CODE, PASSWORD, methods
from .sessions import revoke_for_password_change


def change_password(deps: Deps, auth: Auth, command: ChangePassword, *,
                    client: ClientInfo) -> IssuedSession:
    """Replace the caller's password and answer with fresh credentials.

    Checked in this order, so that nobody is asked for a second factor and then told the
    new password is refused: the old password (400 ``WrongPassword``, counted by the
    per-account lockout), the new one differs from it (``SamePassword``) and passes the policy
    (its types, on ``new_password``), then the second factor when MFA is on (202 without a
    code, 400 ``MfaCodeNotValid``). Then every session of the user ends and a new one starts
    for a session caller; an OAuth2 caller keeps its grant with new tokens in place of the
    presented ones. The user gets a "password changed" mail.
    """
    user = auth.user
    old_password, new_password = command.old_password or "", command.new_password
    check_current_password(deps, user, old_password, field="old_password")
    if unicodedata.normalize("NFKC", new_password) == unicodedata.normalize("NFKC", old_password):
        raise ValidationFailed.on("new_password", "SamePassword",
                                  N_("the new password must differ from the old one"))
    check_new_password(deps, new_password, email=user.email, names=personal_names(user),
                       field="new_password")
    factor = check_second_factor(deps, user, command.multi_factor_code)
    store_password_hash(deps, user, deps.hasher.hash(new_password))
    forget_failures(deps, user.email_key)
    announce_password_change(deps, user, how="change")
    if auth.kind == CredentialKind.OAUTH2:  # its own grant stays, with new tokens
        revoke_for_password_change(
            deps, user.id, except_credential_id=auth.credential.family_id or auth.credential.id)
        return _rotate_in_place(deps, auth.credential)
    revoke_for_password_change(deps, user.id)  # the presented session too: it is replaced
    used = (PASSWORD,) if factor is None else (PASSWORD, ONE_TIME_CODE)
    return start_session(deps, user, client, proof=methods(*used))


def _rotate_in_place(deps: Deps, credential: Credential) -> IssuedSession:
    """New access and refresh token for an OAuth2 credential; its grant, scopes and
    lifetime stay (a password change never turns an OAuth2 grant into a session)."""
    now = deps.clock()
    token, refresh = new_token(), new_token()
    expires = credential.expires_at or expiry(now, deps.config.access_token_ttl)
    deps.session.execute(
        update(Credential).where(Credential.id == credential.id)
        .values(token_hash=hash_token(token), refresh_hash=hash_token(refresh))
        .execution_options(synchronize_session=False))
    return IssuedSession(credential, token, refresh, expires)


def announce_password_change(deps: Deps, user: User, *, how: str) -> None:
    """Mail the user that the password changed and send ``password-changed`` after the
    commit (``how``: ``"change"`` or ``"reset"``)."""
    send_mail(deps, "password-changed", user.email, user=user, how=how)
    after_commit(deps, lambda: signals.password_changed.send(deps.sender, user=user, how=how))


def password_updated_at(user: User) -> dt.datetime:
    """When the user's password was last set."""
    return user.password_updated_at
