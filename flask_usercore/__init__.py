"""flask-usercore: complete, secure user management for Flask apps.

``UserCore(app, db=db)`` mounts the mittwald mStudio v2 User API (plus the APITree Profile
fields) under ``/v2``. See ``docs/quickstart.md``.
"""

from ._version import __version__
from .auth import LoginUser, auth_required, current_auth, current_user
from .config import ConfigError, UserCoreConfig
from .errors import UserCoreError, ValidationFailed
from .extension import UserCore
from .hooks import (
    AvatarStorage,
    DeliveryQueue,
    FileOutboxMailer,
    FileOutboxSmsSender,
    LocalAvatarStorage,
    Location,
    LocationLookup,
    LoggingMailer,
    LoggingSmsSender,
    Mail,
    Mailer,
    NobodyVisible,
    NoLocation,
    SmsSender,
    Visibility,
)
from .models import Base
from .security.policy import PasswordPolicy, register_policy
from .services.context import Auth
from .state import UserCoreState, usercore_state

__all__ = [
    "Auth",
    "AvatarStorage",
    "Base",
    "ConfigError",
    "DeliveryQueue",
    "FileOutboxMailer",
    "FileOutboxSmsSender",
    "LocalAvatarStorage",
    "Location",
    "LocationLookup",
    "LoggingMailer",
    "LoggingSmsSender",
    "LoginUser",
    "Mail",
    "Mailer",
    "NoLocation",
    "NobodyVisible",
    "PasswordPolicy",
    "SmsSender",
    "UserCore",
    "UserCoreConfig",
    "UserCoreError",
    "UserCoreState",
    "ValidationFailed",
    "Visibility",
    "__version__",
    "auth_required",
    "current_auth",
    "current_user",
    "register_policy",
    "usercore_state",
]
