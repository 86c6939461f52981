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
#: ``mail=Mail, error=Exception`` when a mail could not be delivered after its commit.
delivery_failed = usercore_signals.signal("delivery-failed")
#: ``user_id=UUID, email=str`` after an account and all its rows were deleted.
user_deleted = usercore_signals.signal("user-deleted")
