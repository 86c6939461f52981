"""Protecting the host's own views with our tokens: ``current_user``, ``current_auth``,
``@auth_required`` and the Flask-Login bridge.

::

    from flask_usercore import current_user

    @app.get("/dashboard")
    @usercore.auth_required                       # sessions and API tokens
    def dashboard():
        return {"hello": current_user.first_name}

The names are defined in the web core (``flask_usercore/web/host_views.py``), on the one
authenticator of the operations; this module only re-exports them.
"""

from .web.authenticator import request_auth
from .web.host_views import (
    LoginUser,
    auth_required,
    current_auth,
    current_user,
    init_login_manager,
    is_api_request,
    max_body_bytes,
)

__all__ = ["LoginUser", "auth_required", "current_auth", "current_user",
           "init_login_manager", "is_api_request", "max_body_bytes", "request_auth"]
