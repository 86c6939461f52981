"""SQLAlchemy 2.x models on the library's own declarative base (``Base.metadata``)."""

from .base import Base, UTCDateTime, utcnow
from .codes import CodePurpose, OneTimeCode
from .credentials import Credential, CredentialKind
from .feedback import Feedback
from .files import StoredFile, UploadToken
from .identities import Identity
from .mfa import MfaSecret, RecoveryCode
from .oauth2 import OAuth2AuthorizationCode, OAuth2Client, OAuth2Consent
from .outbox import OutboxMessage
from .passkeys import Passkey, PasskeyChallenge
from .poll_settings import PollSettings, PollStatus
from .roles import ADMIN_PERMISSION, AdminAuditEntry, Role
from .settings import UserSettings
from .ssh_keys import SshKey
from .users import User

__all__ = [
    "ADMIN_PERMISSION",
    "AdminAuditEntry",
    "Base",
    "CodePurpose",
    "Credential",
    "CredentialKind",
    "Feedback",
    "Identity",
    "MfaSecret",
    "OAuth2AuthorizationCode",
    "OAuth2Client",
    "OAuth2Consent",
    "OneTimeCode",
    "OutboxMessage",
    "Passkey",
    "PasskeyChallenge",
    "PollSettings",
    "PollStatus",
    "RecoveryCode",
    "Role",
    "SshKey",
    "StoredFile",
    "UTCDateTime",
    "UploadToken",
    "User",
    "UserSettings",
    "utcnow",
]
