"""flask-usercore: complete, secure user management for Flask apps.

``UserCore(app, db=db)`` mounts the mittwald mStudio v2 User API (plus the APITree Profile
fields) under ``/v2``. See ``docs/quickstart.md``.
"""

from .config import ConfigError, UserCoreConfig
from .errors import UserCoreError, ValidationFailed
from .extension import UserCore
from .hooks import (
    FileOutboxMailer,
    LoggingMailer,
    LoggingSmsSender,
    Mail,
    Mailer,
    NobodyVisible,
    SmsSender,
    Visibility,
)
from .models import Base

__all__ = [
    "Base",
    "ConfigError",
    "FileOutboxMailer",
    "LoggingMailer",
    "LoggingSmsSender",
    "Mail",
    "Mailer",
    "NobodyVisible",
    "SmsSender",
    "UserCore",
    "UserCoreConfig",
    "UserCoreError",
    "ValidationFailed",
    "Visibility",
]
