"""Wire types of validation errors come from marshmallow's error keys and validator classes,
never from the message text: custom messages keep their types."""

from __future__ import annotations

import copy
import enum
from typing import Any

import pytest
from flask import Flask
from marshmallow import Schema, ValidationError, fields, validate

from flask_usercore.errors import ValidationFailed
from flask_usercore.schemas.base import InputSchema, load
from flask_usercore.schemas.errortypes import TypedMessage, message_type
from flask_usercore.schemas.text import Text, text
from flask_usercore.schemas.users import NICKNAME, PersonSchema


class Color(enum.Enum):
    RED = "red"


class Inner(InputSchema):
    n = fields.Integer(required=True)


class Plain(InputSchema):
    """Plain marshmallow fields and validators, as a future schema might use them."""

    i = fields.Integer()
    f = fields.Float()
    b = fields.Boolean()
    s = fields.String()
    d = fields.Dict()
    when = fields.DateTime()
    day = fields.Date()
    t = fields.Time()
    ref = fields.UUID()
    url = fields.URL()
    mail = fields.Email()
    color = fields.Enum(Color, by_value=True)
    nums = fields.List(fields.Integer())
    inner = fields.Nested(Inner)
    many = fields.Nested(Inner, many=True)
    small = fields.Integer(validate=validate.Range(min=1, max=5))
    above = fields.Integer(validate=validate.Range(min=1, min_inclusive=False))
    both = fields.String(validate=validate.Length(min=2, max=3))
    exact = fields.String(validate=validate.Length(equal=3))
    pick = fields.String(validate=validate.OneOf(["a", "b"]))
    word = fields.String(validate=validate.Regexp(r"[a-z]+$"))
    not_this = fields.String(validate=validate.NoneOf(["x"]))
    req = fields.String(required=True)
    nonull = fields.String(allow_none=False)


#: Messages in another language, and validators with their own messages.
class Custom(InputSchema):
    req = fields.String(required=True, error_messages={"required": "Bitte ausfüllen."})
    num = fields.Integer(error_messages={"invalid": "Keine Zahl."})
    when = fields.DateTime(error_messages={"invalid": "Kein Zeitpunkt."})
    short = fields.String(validate=validate.Length(max=3, error="Zu lang."))
    both = fields.String(validate=validate.Length(min=2, max=3, error="Falsche Länge."))
    word = fields.String(validate=validate.Regexp("[a-z]+", error="Nur Buchstaben."))
    pick = fields.String(validate=validate.OneOf(["a"], error="Nicht erlaubt."))
    count = fields.Integer(validate=validate.Range(max=3, error="Zu viel."))


def errors(schema: Schema, data: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as caught:
        load(schema, data)
    return [(e.path, e.type) for e in caught.value.errors]


def base(**data: Any) -> dict[str, Any]:
    return {"req": "x", **data}


@pytest.mark.parametrize(("data", "kind"), [
    ({"i": "x"}, "type"), ({"i": [1]}, "type"), ({"f": "x"}, "type"), ({"b": "maybe"}, "type"),
    ({"s": 5}, "type"), ({"d": []}, "type"), ({"nums": {}}, "type"), ({"inner": 5}, "type"),
    ({"many": {}}, "type"), ({"when": "yesterday"}, "format"), ({"day": "x"}, "format"),
    ({"ref": "nope"}, "format"), ({"url": "nope"}, "format"), ({"mail": "nope"}, "format"),
    ({"color": "blue"}, "enum"), ({"small": 0}, "minimum"), ({"small": 6}, "maximum"),
    ({"above": 1}, "minimum"), ({"both": "a"}, "minLength"), ({"both": "abcd"}, "maxLength"),
    ({"exact": "ab"}, "minLength"), ({"exact": "abcd"}, "maxLength"), ({"pick": "c"}, "enum"),
    ({"word": "ab1"}, "pattern"), ({"not_this": "x"}, "not"), ({"nonull": None}, "type"),
    ({"s": "a\x00"}, "controlCharacters"), ({"f": float("nan")}, "type"), ({"t": "noon"}, "format"),
])
def test_types_of_plain_marshmallow_fields_and_validators(data: dict[str, Any],
                                                          kind: str) -> None:
    assert errors(Plain(), base(**data)) == [("." + next(iter(data)), kind)]


def test_required_unknown_nested_and_list_paths() -> None:
    found = errors(Plain(), {"zz": 1, "nums": [1, "x"], "inner": {}, "many": [{"n": 1}, {}]})
    assert found == [(".inner.n", "required"), (".many[1].n", "required"),
                     (".nums[1]", "type"), (".req", "required"), (".zz", "additionalProperties")]
    with pytest.raises(ValidationFailed) as caught:
        load(Plain(), {"zz": 1})
    contexts = {e.path: e.context for e in caught.value.errors}
    assert contexts == {".req": {"missingProperty": "req"}, ".zz": {"additionalProperty": "zz"}}


@pytest.mark.parametrize(("data", "kind", "message"), [
    ({}, "required", "Bitte ausfüllen."), ({"num": "x"}, "type", "Keine Zahl."),
    ({"when": "x"}, "format", "Kein Zeitpunkt."), ({"short": "abcd"}, "maxLength", "Zu lang."),
    ({"both": "a"}, "minLength", "Falsche Länge."),
    ({"both": "abcd"}, "maxLength", "Falsche Länge."),
    ({"word": "1"}, "pattern", "Nur Buchstaben."), ({"pick": "b"}, "enum", "Nicht erlaubt."),
    ({"count": 4}, "maximum", "Zu viel."),
])
def test_types_do_not_depend_on_the_message_text(data: dict[str, Any], kind: str,
                                                 message: str) -> None:
    body = {"req": "x", **data} if data else {}
    with pytest.raises(ValidationFailed) as caught:
        load(Custom(), body)
    assert [(e.type, e.message) for e in caught.value.errors] == [(kind, message)]


def test_a_message_that_reads_like_another_type_keeps_its_own() -> None:
    """The old prefix table would have called this ``required``."""

    class Misleading(InputSchema):
        n = fields.Integer(error_messages={"invalid": "Missing data for required field."})

    assert errors(Misleading(), {"n": "x"}) == [(".n", "type")]


def test_a_plain_schema_message_is_untyped() -> None:
    class NotInput(Schema):
        n = fields.Integer()

    assert errors(NotInput(), {"n": "x"}) == [(".n", "invalid")]


def test_typed_message_survives_format_and_copy() -> None:
    message = TypedMessage("Longer than {max}.", "maxLength")
    formatted = message.format(max=3)
    assert (formatted, message_type(formatted)) == ("Longer than 3.", "maxLength")
    for twin in (copy.copy(message), copy.deepcopy(message)):
        assert (twin, message_type(twin)) == (message, "maxLength")
    assert message_type("plain") == "invalid"


def test_declared_fields_and_shared_validators_are_not_changed() -> None:
    shared = validate.Length(max=3)

    class Uses(InputSchema):
        s = fields.String(validate=shared)

    declared = Uses._declared_fields["s"]
    Uses()
    assert declared.validators == [shared]
    assert type(shared) is validate.Length
    assert not isinstance(declared.error_messages["required"], TypedMessage)


def test_multiline_text_keeps_newline_and_tab() -> None:
    class Note(InputSchema):
        body = text(100, multiline=True)
        title = Text()

    assert load(Note(), {"body": "line 1\n\tline 2\u2028"})["body"] == "line 1\n\tline 2\u2028"
    for bad in ("a\x00", "a\r\n", "a\x1b", "a\ud800"):
        assert errors(Note(), {"body": bad}) == [(".body", "controlCharacters")]
    assert errors(Note(), {"title": "a\nb"}) == [(".title", "controlCharacters")]


def test_lone_surrogates_are_refused() -> None:
    assert errors(PersonSchema(), {"firstName": "A\udfff", "lastName": "B"}) == [
        (".firstName", "controlCharacters")]


@pytest.mark.parametrize("value", ["ada\n", "ada\r\n", "...", "a b", ""])
def test_nickname_validator_matches_the_whole_value(value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        NICKNAME(value)
    assert message_type(caught.value.messages[0]) == "pattern"


def _schemas(schema: Schema) -> list[Schema]:
    found = [schema]
    for field in schema.fields.values():
        if isinstance(field, fields.Nested):
            found += _schemas(field.schema)
    return found


def test_every_request_schema_is_an_input_schema(app: Flask) -> None:
    """A body or query schema outside InputSchema would answer ``invalid`` for every error."""
    checked = 0
    for view in app.view_functions.values():
        op = getattr(view, "usercore_operation", None)
        for schema_class in (getattr(op, "body", None), getattr(op, "query", None)):
            if schema_class is not None:
                for schema in _schemas(schema_class()):
                    assert isinstance(schema, InputSchema), type(schema).__name__
                    checked += 1
    assert checked >= 8
