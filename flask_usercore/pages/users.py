"""The account's start page and the profile, on
:func:`flask_usercore.services.users.update_profile` (the rules of
``PUT /v2/users/self/personal-information``)."""

from __future__ import annotations

from typing import Any

from flask import Response

from ..forms.authentication import SignOutForm
from ..forms.users import ProfileForm
from ..schemas.users import UserUpdateSchema
from ..services import users
from .framework import PageRequest, PagesBlueprint, deps, go, load_form, render


def home(page: PageRequest) -> Response:
    """``GET /``: who is signed in, and the account's pages."""
    return render("home.html", user=page.user, sign_out=SignOutForm())


def profile_page(page: PageRequest) -> Response:
    """``GET /profile``: the form, filled in with the stored values."""
    user = page.user
    form = ProfileForm(data={"firstName": user.first_name, "lastName": user.last_name,
                             "nickname": user.nickname or ""})
    return render("profile.html", form=form, errors=[], user=user)


def profile(page: PageRequest) -> Response:
    """``POST /profile``: the API's schema loads the values, the service stores them."""
    form: ProfileForm = page.form
    command = load_form(UserUpdateSchema, {
        "person": {"firstName": form.firstName.data, "lastName": form.lastName.data},
        "nickname": form.nickname.data or None})
    users.update_profile(deps(), page.user, command)
    return go("usercore_pages.profile", saved=1)


def _profile_context(page: PageRequest) -> dict[str, Any]:
    return {"user": page.user}


def register(bp: PagesBlueprint) -> None:
    """Add these pages to ``bp``."""
    bp.page("/", endpoint="home")(home)
    bp.page("/profile", endpoint="profile")(profile_page)
    bp.page("/profile", endpoint="profile_post", methods=("POST",), form=ProfileForm,
            template="profile.html", context=_profile_context)(profile)
