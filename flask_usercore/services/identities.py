"""Sign-in by provider and the identities linked to an account (docs/providers.md).

The view checked the provider's answer (Authlib: state, PKCE, the ID token); these rules
decide what it means. An identity (issuer and subject) signs its user in. A new identity
whose e-mail is an existing account's is linked to it only when the provider's verified
addresses are trusted (``trust_email``); else the user must sign in and link it. It creates
an account only when the provider allows sign-up (``allow_signup``), without a password. A
user with MFA still gives the second factor unless the provider's MFA counts
(``mfa_counts``). A disabled account is refused as at the password login.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from .. import signals
from ..commands.identities import ProviderProfile
from ..errors import N_, FirstFactorExpired, NotFound, ProviderRefused, WrongCredentials
from ..models import Identity, Passkey, User
from ..security.passwords import has_password, unusable_password
from ..security.providers import ProviderSettings
from ..security.tokens import new_token
from .authentication import IssuedSession, SecondFactorChallenge, start_session
from .context import ClientInfo, Deps, after_commit
from .mfa import check_second_factor, remember_first_factor, use_first_factor
from .reauth import MULTI_FACTOR, ONE_TIME_CODE, methods
from .users import find_by_email, flush_unique

#: ``amr`` of a sign-in by provider (federated authentication).
FEDERATED = "fed"
#: Longest name part taken from a provider's profile (the users table's limit).
_NAME = 120


def _by_subject(deps: Deps, issuer: str, subject: str) -> Identity | None:
    return deps.session.scalars(select(Identity).where(
        Identity.issuer == issuer, Identity.subject == subject)).first()


def _user(deps: Deps, user_id: uuid.UUID) -> User | None:
    return deps.session.scalars(select(User).options(joinedload(User.mfa))
                                .where(User.id == user_id)).first()


def _refuse_disabled(deps: Deps, user: User) -> None:
    """The password login's checks after the password (services/authentication.py)."""
    reason = ("AccountDisabled" if user.disabled_at is not None else
              "EmailAddressNotVerified" if deps.config.require_verified_email
              and user.email_verified_at is None else None)
    if reason is None:
        return
    signals.login_failed.send(deps.sender, email=user.email, reason=reason)
    raise WrongCredentials(reason, N_("this account has been disabled by an administrator")
                           if reason == "AccountDisabled" else
                           N_("the e-mail address is not verified yet"))


def _record_use(deps: Deps, settings: ProviderSettings, identity: Identity,
                profile: ProviderProfile) -> None:
    identity.last_used_at = deps.clock()
    identity.email = (profile.email or "")[:254] or None
    if settings.keep_tokens and profile.tokens is not None:
        identity.tokens = deps.box.encrypt(profile.tokens)


def _new_identity(deps: Deps, user: User, settings: ProviderSettings,
                  profile: ProviderProfile) -> Identity:
    identity = Identity(user_id=user.id, provider=settings.name, issuer=profile.issuer,
                        subject=profile.subject, created_at=deps.clock())
    _record_use(deps, settings, identity, profile)
    deps.session.add(identity)
    after_commit(deps, lambda: signals.identity_linked.send(deps.sender, user=user,
                                                            identity=identity))
    return identity


def _sign_up(deps: Deps, settings: ProviderSettings, profile: ProviderProfile) -> User:
    """A new account without a password for a new identity (``allow_signup``)."""
    if not settings.allow_signup:
        raise ProviderRefused(403, "ProviderSignUpClosed",
                              N_("no account is linked to this %(provider)s account, and signing "
                                 "up with it is not allowed: sign in and link it",
                                 provider=settings.title))
    if not profile.email or not profile.email_verified:
        raise ProviderRefused(403, "ProviderEmailNotVerified",
                              N_("%(provider)s gave no verified e-mail address to sign up with",
                                 provider=settings.title))
    now = deps.clock()
    user = User(id=uuid.uuid4(), email=profile.email,
                password_hash=unusable_password(new_token()),
                first_name=(profile.first_name or profile.email.split("@")[0])[:_NAME],
                last_name=(profile.last_name or "")[:_NAME],
                password_updated_at=now, email_verified_at=now, created_at=now)
    deps.session.add(user)
    flush_unique(deps)
    after_commit(deps, lambda: signals.user_registered.send(deps.sender, user=user))
    return user


def _account_for(deps: Deps, settings: ProviderSettings,
                 profile: ProviderProfile) -> tuple[User, Identity]:
    """The account of ``profile``'s identity: linked, linked now by a trusted verified
    e-mail, or signed up; else refused."""
    identity = _by_subject(deps, profile.issuer, profile.subject)
    if identity is not None:
        user = _user(deps, identity.user_id)
        if user is None:  # deleted meanwhile: the cascade takes the identity
            raise ProviderRefused(400, "ProviderSignInFailed", N_("the account is gone"))
        _record_use(deps, settings, identity, profile)
        return user, identity
    existing = find_by_email(deps, profile.email) if profile.email else None
    if existing is None:
        user = _sign_up(deps, settings, profile)
    elif settings.trust_email and profile.email_verified:
        _refuse_disabled(deps, existing)
        user = existing
    else:
        raise ProviderRefused(409, "IdentityEmailInUse",
                              N_("an account with this e-mail address exists: sign in to it and "
                                 "link your %(provider)s account there",
                                 provider=settings.title))
    if deps.session.scalar(select(Identity.id).where(Identity.user_id == user.id,
                                                     Identity.provider == settings.name)):
        raise ProviderRefused(409, "ProviderAlreadyLinked", N_(
            "that account is linked to another %(provider)s account", provider=settings.title))
    return user, _new_identity(deps, user, settings, profile)


def sign_in(deps: Deps, settings: ProviderSettings, profile: ProviderProfile,
            client: ClientInfo) -> IssuedSession | SecondFactorChallenge:
    """Sign in with a provider's identity: a fresh session like the password login's
    (``auth_methods`` ``fed``, and ``mfa`` when the provider's MFA counted), or a
    :class:`SecondFactorChallenge` remembered for :func:`complete_mfa`."""
    user, identity = _account_for(deps, settings, profile)
    _refuse_disabled(deps, user)
    if user.mfa_active and not (settings.mfa_counts and profile.provider_mfa):
        remember_first_factor(deps, user)
        return SecondFactorChallenge(user.id)
    proof = (f"{FEDERATED} {MULTI_FACTOR}" if settings.mfa_counts and profile.provider_mfa
             else FEDERATED)
    return _signed_in(deps, user, identity, client, proof)


def _signed_in(deps: Deps, user: User, identity: Identity | None, client: ClientInfo,
               proof: str) -> IssuedSession:
    issued = start_session(deps, user, client, proof=proof)
    after_commit(deps, lambda: signals.signed_in_by_provider.send(
        deps.sender, user=user, identity=identity, credential=issued.credential))
    return issued


def complete_mfa(deps: Deps, user_id: uuid.UUID, code: str,
                 client: ClientInfo) -> IssuedSession:
    """The second factor of a sign-in by provider answered with 202: a fresh session (408
    ``FirstAuthenticationFactorExpired`` when the remembered sign-in is gone; 400
    ``MfaCodeNotValid`` for a wrong code)."""
    user = _user(deps, user_id)
    if user is None or not user.mfa_active or not use_first_factor(deps, user):
        raise FirstFactorExpired(N_("the sign-in has expired: sign in with the provider again"))
    _refuse_disabled(deps, user)
    check_second_factor(deps, user, code)
    return _signed_in(deps, user, None, client, methods(FEDERATED, ONE_TIME_CODE))


def link(deps: Deps, user_id: uuid.UUID, settings: ProviderSettings,
         profile: ProviderProfile) -> Identity:
    """Link ``profile``'s identity to the account that started the link (409 when it is
    another account's, or the account has another identity at this provider)."""
    user = _user(deps, user_id)
    if user is None or user.disabled_at is not None:
        raise ProviderRefused(400, "ProviderSignInFailed", N_("the account that started the "
                              "link is gone or disabled"))
    identity = _by_subject(deps, profile.issuer, profile.subject)
    if identity is not None:
        if identity.user_id != user.id:
            raise ProviderRefused(409, "IdentityLinkedElsewhere", N_(
                "this %(provider)s account is linked to another account",
                provider=settings.title))
        _record_use(deps, settings, identity, profile)
        return identity
    if deps.session.scalar(select(Identity.id).where(Identity.user_id == user.id,
                                                     Identity.provider == settings.name)):
        raise ProviderRefused(409, "ProviderAlreadyLinked", N_(
            "your account is linked to another %(provider)s account: unlink it first",
            provider=settings.title))
    return _new_identity(deps, user, settings, profile)


def list_identities(deps: Deps, user: User) -> Sequence[Identity]:
    """The user's linked identities, oldest first."""
    return deps.session.scalars(select(Identity).where(Identity.user_id == user.id)
                                .order_by(Identity.created_at, Identity.id)).all()


def unlink(deps: Deps, user: User, provider: str) -> None:
    """Unlink the user's identity at ``provider`` (404 when none); 409 ``LastSignInMethod``
    when the account has no password, no passkey and this is its last identity."""
    identity = deps.session.scalars(select(Identity).where(
        Identity.user_id == user.id, Identity.provider == provider)).first()
    if identity is None:
        raise NotFound(N_("no identity at %(provider)s is linked to your account",
                          provider=repr(provider)))
    others = deps.session.scalar(select(func.count()).select_from(Identity).where(
        Identity.user_id == user.id, Identity.id != identity.id)) or 0
    if not others and not has_password(user.password_hash) and not deps.session.scalar(
            select(func.count()).select_from(Passkey).where(Passkey.user_id == user.id)):
        raise ProviderRefused(409, "LastSignInMethod", N_("this is the last way to sign in to "
                              "your account: set a password (password reset) first"))
    deps.session.delete(identity)
    after_commit(deps, lambda: signals.identity_unlinked.send(deps.sender, user=user,
                                                              identity=identity))


def stored_tokens(deps: Deps, identity: Identity) -> dict[str, object] | None:
    """The provider's tokens kept for ``identity`` (``keep_tokens``), decrypted."""
    if identity.tokens is None:
        return None
    found: dict[str, object] = json.loads(deps.box.decrypt(identity.tokens))
    return found
