"""Poll settings: the state machine of REFERENCE.md 5.6 and whose settings they are."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from flask_usercore.models import PollSettings
from tests.api.resource_helpers import error_items

URL = "/v2/poll-settings/{}"


def answer(client: FlaskClient, user: dict[str, Any], status: str, who: str = "self") -> Any:
    return client.post(URL.format(who), json={"status": status, "userId": user["userId"]},
                       headers=user["headers"])


def moment(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_a_user_who_never_answered_gets_new(client: FlaskClient, user: dict[str, Any]) -> None:
    response = client.get(URL.format("self"), headers=user["headers"])
    assert response.status_code == 200
    assert response.json == {"userId": user["userId"], "status": "new", "shouldShow": True}


def test_completed_is_final(client: FlaskClient, user: dict[str, Any]) -> None:
    done = answer(client, user, "completed")
    assert done.status_code == 200
    assert done.json["status"] == "completed"
    assert done.json["shouldShow"] is False
    first = done.json["completedAt"]
    assert answer(client, user, "completed").json["completedAt"] == first
    for status in ("muted", "ignored"):
        assert error_items(answer(client, user, status)) == [
            (".status", "PollTransitionNotAllowed")]
    assert client.get(URL.format(user["userId"]), headers=user["headers"]).json[
        "status"] == "completed"


def test_ignored_hides_it_and_may_still_be_completed(client: FlaskClient,
                                                     user: dict[str, Any]) -> None:
    ignored = answer(client, user, "ignored").json
    assert (ignored["status"], ignored["shouldShow"]) == ("ignored", False)
    assert "ignoredAt" in ignored
    assert error_items(answer(client, user, "muted")) == [
        (".status", "PollTransitionNotAllowed")]
    completed = answer(client, user, "completed").json
    assert completed["status"] == "completed"
    assert completed["ignoredAt"] == ignored["ignoredAt"]


def test_muted_hides_it_until_dont_show_until(app: Flask, client: FlaskClient,
                                              user: dict[str, Any]) -> None:
    muted = answer(client, user, "muted").json
    assert (muted["status"], muted["shouldShow"]) == ("muted", False)
    until = moment(muted["dontShowUntil"])
    assert dt.timedelta(days=29) < until - dt.datetime.now(dt.UTC) <= dt.timedelta(days=30)
    with app.app_context():  # the month has passed
        session = app.extensions["usercore"].core.db.session
        row = session.get(PollSettings, uuid.UUID(user["userId"]))
        row.dont_show_until = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        session.commit()
    again = client.get(URL.format("self"), headers=user["headers"]).json
    assert (again["status"], again["shouldShow"]) == ("muted", True)
    assert answer(client, user, "ignored").json["shouldShow"] is False


def test_the_mute_length_is_configurable(make_app: Callable[..., Flask], mailbox: Any) -> None:
    from tests.api.resource_helpers import signed_in

    client = make_app({"USERCORE_POLL_MUTE_DAYS": 2}).test_client()
    headers = signed_in(client, mailbox)
    me = client.get("/v2/users/self", headers=headers).json["userId"]
    muted = client.post(URL.format("self"), json={"status": "muted", "userId": me},
                        headers=headers).json
    assert moment(muted["dontShowUntil"]) - dt.datetime.now(dt.UTC) <= dt.timedelta(days=2)


@pytest.mark.parametrize("status", ["new", "done", "", None])
def test_unknown_answers_are_400(client: FlaskClient, user: dict[str, Any],
                                 status: Any) -> None:
    response = client.post(URL.format("self"), json={"status": status,
                                                     "userId": user["userId"]},
                           headers=user["headers"])
    assert error_items(response)[0][0] == ".status"


def test_path_and_body_must_name_the_caller(client: FlaskClient, user: dict[str, Any],
                                            register: Callable[..., Any]) -> None:
    grace = register("grace@example.com")["userId"]
    assert client.get(URL.format(grace), headers=user["headers"]).status_code == 403
    assert client.post(URL.format(grace), json={"status": "muted", "userId": grace},
                       headers=user["headers"]).status_code == 403
    assert client.post(URL.format("self"), json={"status": "muted", "userId": grace},
                       headers=user["headers"]).status_code == 403
    assert client.post(URL.format("self"), json={"status": "muted", "userId": "x"},
                       headers=user["headers"]).status_code == 403
    assert error_items(client.post(URL.format("self"), json={"status": "muted"},
                                   headers=user["headers"])) == [(".userId", "required")]
    own = client.post(URL.format("self"), json={"status": "muted",
                                                "userId": user["userId"].upper()},
                      headers=user["headers"])
    assert own.status_code == 200
    assert client.get(URL.format("self")).status_code == 401
