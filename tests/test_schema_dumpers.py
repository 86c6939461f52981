"""schemas.compiled.compile_dumper: the same dict as marshmallow's dump, key order included."""

from __future__ import annotations

import datetime as dt
import uuid
from types import SimpleNamespace
from typing import Any

import pytest
from marshmallow import fields, post_dump

from flask_usercore.schemas.base import ResponseSchema, UtcDateTime, UuidString
from flask_usercore.schemas.compiled import compile_dumper, compiled_dumper
from flask_usercore.schemas.users import (
    USER_FULL,
    USER_PUBLIC,
    UserSchema,
    UserView,
    dump_user,
)

WHEN = dt.datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=dt.UTC)


def a_user(**overrides: Any) -> SimpleNamespace:
    user = SimpleNamespace(
        id=uuid.uuid4(), email="ada@example.com", first_name="Ada", last_name="Lovelace",
        title="ms", nickname="ada", display_name="Ada L.", company="Analytical Engines",
        location="London", country_code="GB", web_url="https://example.com/ada",
        picture_url="https://example.com/ada.png", account_type="user",
        phone_number="+4915112345678", avatar_ref=uuid.uuid4(), email_verified_at=WHEN,
        password_updated_at=WHEN + dt.timedelta(days=1), created_at=WHEN,
        mfa_active=True, mfa_setup=True)
    for name, value in overrides.items():
        setattr(user, name, value)
    return user


EMPTY = {name: None for name in ("title", "nickname", "display_name", "company", "location",
                                 "country_code", "web_url", "picture_url", "phone_number",
                                 "avatar_ref", "email_verified_at")}


@pytest.mark.parametrize("user", [a_user(), a_user(**EMPTY, mfa_active=False, mfa_setup=False),
                                  a_user(created_at=WHEN.astimezone(
                                      dt.timezone(dt.timedelta(hours=2))))])
@pytest.mark.parametrize("full", [True, False])
def test_the_user_resource_is_marshmallows_dump(user: SimpleNamespace, full: bool) -> None:
    expected = (USER_FULL if full else USER_PUBLIC).dump(user)
    got = dump_user(user, full=full)
    assert list(got.items()) == list(expected.items())


@pytest.mark.parametrize("full", [True, False])
def test_the_declared_user_response_dumps_the_view_compiled(full: bool) -> None:
    """``GET /v2/users/{userId}`` declares UserSchema: the operation does not compile it (it
    dumps a UserView), and its dump is the compiled one of the view."""
    user = a_user()
    assert compiled_dumper(UserSchema()) is None
    got = UserSchema().dump(UserView(user, full=full))
    assert list(got.items()) == list((USER_FULL if full else USER_PUBLIC).dump(user).items())
    assert UserSchema(many=True).dump([UserView(user, full=full)]) == [got]


class Mixed(ResponseSchema):
    when = UtcDateTime()
    ref = UuidString(data_key="refId")
    count = fields.Integer(dump_default=7)
    tags = fields.List(fields.String())
    label = fields.String(attribute="inner.label")
    raw = fields.String()
    constant = fields.Constant("c")
    computed = fields.Function(lambda o: o.count * 2 if hasattr(o, "count") else None)


def test_other_fields_defaults_and_dotted_attributes_follow_marshmallow() -> None:
    schema = Mixed()
    dump = compile_dumper(schema)
    full = SimpleNamespace(when=WHEN, ref=str(uuid.uuid4()).upper(), count=3, tags=["a", 1],
                           inner=SimpleNamespace(label="x"), raw=b"bytes")
    sparse = SimpleNamespace(when=None, ref=None, inner=SimpleNamespace(label=None))
    for obj in (full, sparse):
        assert list(dump(obj).items()) == list(schema.dump(obj).items())
    for mapping in ({"when": WHEN, "count": 1, "raw": "r", "inner": {"label": "y"}},
                    {"items": None, "ref": uuid.uuid4()}):
        assert list(dump(mapping).items()) == list(schema.dump(mapping).items())


def test_schemas_it_cannot_compile_keep_marshmallows_dump() -> None:
    class Hooked(ResponseSchema):
        name = fields.String()

        @post_dump
        def upper(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
            return {k: v.upper() for k, v in data.items()}

    hooked, many = Hooked(), Mixed(many=True)
    assert compiled_dumper(hooked) is None and compile_dumper(hooked) == hooked.dump
    assert compiled_dumper(many) is None and compile_dumper(many) == many.dump
