"""Feedback: submit with the document's limits, list your own, the signal."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from flask_usercore import signals
from tests.api.resource_helpers import error_items

POST = "/v2/users/self/feedback"
LIST = "/v2/users/{}/feedback"


def submit(client: FlaskClient, user: dict[str, Any], **body: Any) -> Any:
    return client.post(POST, json=body, headers=user["headers"])


def test_submit_answers_201_empty_and_signals(client: FlaskClient,
                                              user: dict[str, Any]) -> None:
    received: list[dict[str, Any]] = []

    def receiver(sender: Any, **kw: Any) -> None:  # as a host forwards it, at once
        received.append({"user": kw["user"].id, "message": kw["feedback"].message,
                         "type": kw["feedback"].type})

    with signals.feedback_submitted.connected_to(receiver):
        response = submit(client, user, subject="Great", message="Line one\n\tLine two",
                          origin="https://studio.example/app", type="bug", vote=7.5)
    assert response.status_code == 201
    assert response.json == {}
    assert received == [{"user": uuid.UUID(user["userId"]), "message": "Line one\n\tLine two",
                         "type": "bug"}]
    [listed] = client.get(LIST.format("self"), headers=user["headers"]).json
    assert listed == {"id": listed["id"], "subject": "Great", "vote": 7.5,
                      "origin": "https://studio.example/app", "message": "Line one\n\tLine two"}


def test_missing_optional_fields_are_listed_empty(client: FlaskClient,
                                                  user: dict[str, Any]) -> None:
    assert submit(client, user, subject="Only a subject").status_code == 201
    assert submit(client, user, subject="No vote", vote=0).status_code == 201
    listed = client.get(LIST.format(user["userId"]), headers=user["headers"]).json
    assert [(f["subject"], f["vote"], f["origin"], f["message"]) for f in listed] == [
        ("Only a subject", 0, "", ""), ("No vote", 0, "", "")]


@pytest.mark.parametrize(("body", "expected"), [
    ({}, (".subject", "required")),
    ({"subject": ""}, (".subject", "minLength")),
    ({"subject": "s" * 101}, (".subject", "maxLength")),
    ({"subject": "two\nlines"}, (".subject", "controlCharacters")),
    ({"subject": "s", "message": "m" * 5001}, (".message", "maxLength")),
    ({"subject": "s", "message": "bell\x07"}, (".message", "controlCharacters")),
    ({"subject": "s", "message": "cr\r\n"}, (".message", "controlCharacters")),
    ({"subject": "s", "origin": "o" * 1001}, (".origin", "maxLength")),
    ({"subject": "s", "type": "praise"}, (".type", "enum")),
    ({"subject": "s", "vote": 11}, (".vote", "maximum")),
    ({"subject": "s", "vote": -1}, (".vote", "minimum")),
    ({"subject": "s", "vote": "5"}, (".vote", "type")),
    ({"subject": "s", "vote": True}, (".vote", "type")),
])
def test_limits_and_characters(client: FlaskClient, user: dict[str, Any],
                               body: dict[str, Any], expected: tuple[str, str]) -> None:
    assert error_items(submit(client, user, **body)) == [expected]


def test_the_longest_message_is_stored_and_listed_cut_to_the_read_schema(
        client: FlaskClient, user: dict[str, Any]) -> None:
    received: list[str] = []

    def receiver(sender: Any, **kw: Any) -> None:
        received.append(kw["feedback"].message)

    with signals.feedback_submitted.connected_to(receiver):
        assert submit(client, user, subject="Long", message="m" * 5000).status_code == 201
    assert received == ["m" * 5000]
    [listed] = client.get(LIST.format("self"), headers=user["headers"]).json
    assert listed["message"] == "m" * 1000


def test_the_subject_filter(client: FlaskClient, user: dict[str, Any]) -> None:
    for subject in ("Dashboard is slow", "Love the dashboard", "Billing 100%"):
        submit(client, user, subject=subject)
    subjects = [f["subject"] for f in client.get(
        LIST.format("self"), query_string={"subject": "DASHBOARD"},
        headers=user["headers"]).json]
    assert subjects == ["Dashboard is slow", "Love the dashboard"]
    percent = client.get(LIST.format("self"), query_string={"subject": "0%"},
                         headers=user["headers"]).json
    assert [f["subject"] for f in percent] == ["Billing 100%"]
    assert client.get(LIST.format("self"), query_string={"subject": "%"},
                      headers=user["headers"]).json[0]["subject"] == "Billing 100%"


def test_only_your_own_feedback(client: FlaskClient, user: dict[str, Any],
                                register: Callable[..., Any], login: Callable[..., str]) -> None:
    submit(client, user, subject="Ada's")
    grace_id = register("grace@example.com")["userId"]
    grace = {"headers": {"x-access-token": login("grace@example.com")}}
    submit(client, grace, subject="Grace's")
    assert client.get(LIST.format(grace_id), headers=user["headers"]).status_code == 403
    assert [f["subject"] for f in client.get(LIST.format("self"),
                                             headers=user["headers"]).json] == ["Ada's"]
    assert client.post(POST, json={"subject": "x"}).status_code == 401


def test_the_list_has_no_pagination_headers(client: FlaskClient, user: dict[str, Any]) -> None:
    """mittwald's document declares none for this list (it is not paginated)."""
    submit(client, user, subject="Dashboard", message="fast")
    response = client.get(LIST.format("self"), headers=user["headers"])
    assert response.status_code == 200 and len(response.json) == 1
    assert not [name for name, _ in response.headers.items() if name.startswith("X-Pagination")]
