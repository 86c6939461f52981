"""SQLAlchemy 2.x models on the library's own declarative base (``Base.metadata``)."""

from .base import Base, UTCDateTime, utcnow
from .codes import CodePurpose, OneTimeCode
from .credentials import Credential, CredentialKind
from .mfa import MfaSecret, RecoveryCode
from .users import User

__all__ = [
    "Base",
    "CodePurpose",
    "Credential",
    "CredentialKind",
    "MfaSecret",
    "OneTimeCode",
    "RecoveryCode",
    "UTCDateTime",
    "User",
    "utcnow",
]
