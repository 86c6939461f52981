"""The extension's signals, in one blinker namespace.

Connect a receiver with ``@user_registered.connect_via(app)`` or ``.connect(func)``. Every
signal is sent with the Flask app as sender and the keyword arguments listed.
"""

from __future__ import annotations

from blinker import Namespace

usercore_signals = Namespace()

#: ``user=User`` after a registration was stored and its verification mail sent.
user_registered = usercore_signals.signal("user-registered")
#: ``user=User`` after the registration e-mail was verified.
registration_verified = usercore_signals.signal("registration-verified")
#: ``user=User, credential=Credential`` after a login created a session.
login_succeeded = usercore_signals.signal("login-succeeded")
#: ``email=str, reason=str`` after a refused login (reason: a ``validationErrors`` type).
login_failed = usercore_signals.signal("login-failed")
#: ``user=User, credential=Credential`` after a logout ended a session.
logged_out = usercore_signals.signal("logged-out")
#: ``user=User, changed=set[str]`` after profile fields were changed.
profile_updated = usercore_signals.signal("profile-updated")
#: ``mail=Mail | None, sms_to=str | None, error=Exception, message_id=UUID,
#: recipient_ref=str, attempts=int, final=bool`` when a mail (or SMS) of the outbox could
#: not be delivered; ``final``: given up (else ``flask usercore deliver`` retries it).
delivery_failed = usercore_signals.signal("delivery-failed")
#: ``user_id=UUID, email=str`` after an account and all its rows were deleted.
user_deleted = usercore_signals.signal("user-deleted")
#: ``user=User, ssh_key=SshKey`` after an SSH key was stored.
ssh_key_added = usercore_signals.signal("ssh-key-added")
#: ``user=User, ssh_key=SshKey`` after an SSH key was removed.
ssh_key_removed = usercore_signals.signal("ssh-key-removed")
#: ``user=User`` after the personalized settings were replaced.
settings_changed = usercore_signals.signal("settings-changed")
#: ``user=User, feedback=Feedback`` after feedback was submitted (forward it from here).
feedback_submitted = usercore_signals.signal("feedback-submitted")
#: ``user=User, phone_number=str`` after a phone number was verified (and is shown).
phone_verified = usercore_signals.signal("phone-verified")
#: ``user=User, phone_number=str`` after the phone number was removed.
phone_removed = usercore_signals.signal("phone-removed")
#: ``user=User, file=StoredFile | None`` after the avatar was replaced (or removed: None).
avatar_changed = usercore_signals.signal("avatar-changed")
#: ``user=User`` after MFA was confirmed (``POST /v2/users/self/credentials/mfa``).
mfa_enabled = usercore_signals.signal("mfa-enabled")
#: ``user=User, reason="user"|"support"`` after MFA was turned off (by the user, or
#: ``flask usercore mfa-reset``).
mfa_disabled = usercore_signals.signal("mfa-disabled")
#: ``user=User`` after the recovery codes were replaced by new ones.
recovery_codes_regenerated = usercore_signals.signal("recovery-codes-regenerated")
#: ``user=User, remaining=int`` after a recovery code was used as the second factor.
recovery_code_used = usercore_signals.signal("recovery-code-used")
#: ``user=User`` when a second-factor code was refused (sent at once: the request fails).
mfa_failed = usercore_signals.signal("mfa-failed")
#: ``user_id=UUID, session_id=UUID`` after a rotated refresh token was presented again: the
#: session (the token family) has been ended.
session_reused = usercore_signals.signal("session-reused")
#: ``user=User, how="change"|"reset"`` after the password was changed (and sessions ended).
password_changed = usercore_signals.signal("password-changed")
#: ``user=User`` after a password-reset mail was prepared (not sent for unknown addresses).
password_reset_requested = usercore_signals.signal("password-reset-requested")
#: ``user=User`` after a password was reset with a mailed token.
password_reset = usercore_signals.signal("password-reset")
#: ``user=User, new_email=str`` after an e-mail change was requested (verification mailed).
email_change_requested = usercore_signals.signal("email-change-requested")
#: ``user=User, old_email=str`` after a new e-mail address was verified and swapped in.
email_changed = usercore_signals.signal("email-changed")
#: ``user=User, client_id=str, scopes=list[str]`` after a user consented to an OAuth2 client.
oauth2_consent_granted = usercore_signals.signal("oauth2-consent-granted")
#: ``user=User, client_id=str, credential=Credential, grant_type=str`` after an OAuth2 token.
oauth2_token_issued = usercore_signals.signal("oauth2-token-issued")
#: ``user_id=UUID, client_id=str, reason=str`` after OAuth2 tokens were revoked (``revoked``,
#: ``consent_withdrawn``, ``code_reused``, ``refresh_token_reused``).
oauth2_token_revoked = usercore_signals.signal("oauth2-token-revoked")
#: ``user=User, actor=User | None`` after an account was disabled (its sessions, tokens and
#: OAuth2 grants ended); ``actor`` None: the CLI.
user_disabled = usercore_signals.signal("user-disabled")
#: ``user=User, actor=User | None`` after a disabled account was enabled again.
user_enabled = usercore_signals.signal("user-enabled")
#: ``entry=AdminAuditEntry`` after every admin action (admin API and ``flask usercore``
#: account commands), once it is recorded: ``entry.actor``, ``entry.action``,
#: ``entry.target_user_id``, ``entry.details``.
admin_action = usercore_signals.signal("admin-action")
#: ``user=User, identity=Identity`` when an identity at a provider is linked to an account
#: (by the user, by a trusted verified e-mail, or by a sign-up through the provider).
identity_linked = usercore_signals.signal("identity-linked")
#: ``user=User, identity=Identity`` when the user unlinks it.
identity_unlinked = usercore_signals.signal("identity-unlinked")
#: ``user=User, identity=Identity, credential=Credential`` after a sign-in by provider
#: (``login_succeeded`` is sent too).
signed_in_by_provider = usercore_signals.signal("signed-in-by-provider")
#: ``user=User, passkey=Passkey`` after a passkey was registered.
passkey_registered = usercore_signals.signal("passkey-registered")
#: ``user=User, passkey=Passkey`` after a passkey was removed.
passkey_removed = usercore_signals.signal("passkey-removed")
#: ``user=User, passkey=Passkey`` after a passkey signed in or answered a second factor.
passkey_used = usercore_signals.signal("passkey-used")
#: ``user=User, passkey=Passkey, sign_count=int`` when an assertion's sign count did not
#: go up (a cloned authenticator?): the assertion was refused.
passkey_clone_suspected = usercore_signals.signal("passkey-clone-suspected")
