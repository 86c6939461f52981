"""A host model points at a user, the documented way: ``db.ForeignKey(User.id, ...)``.

Deleting the account (``DELETE /v2/users/self``) then treats the host's rows as the host's
foreign key declares: ``ON DELETE CASCADE`` deletes them with the account, ``SET NULL``
clears their reference, and a key with neither refuses the deletion with a JSON 409 that
leaves everything as it was.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import func, select
from sqlalchemy.exc import NoReferencedTableError
from sqlalchemy.orm import Mapped, mapped_column

from flask_usercore.models import User
from tests.api.test_account_deletion import assert_alive, assert_gone, rows_of
from tests.conftest import PASSWORD

HostModels = dict[str, Any]


@pytest.fixture
def host(app: Flask) -> Iterator[HostModels]:
    """The host's models on the host's own ``db``, their tables created, dropped after."""
    db: SQLAlchemy = app.extensions["usercore"].core.db
    suffix = uuid.uuid4().hex[:8]  # a test database may be shared: tables of this test only

    class Note(db.Model):
        __tablename__ = f"host_note_{suffix}"
        id: Mapped[int] = mapped_column(primary_key=True)
        user_id = db.Column(db.ForeignKey(User.id, ondelete="CASCADE"), nullable=False)
        text: Mapped[str] = mapped_column(db.String(100))
        user = db.relationship(User)

    class Attachment(db.Model):
        __tablename__ = f"host_attachment_{suffix}"
        id: Mapped[int] = mapped_column(primary_key=True)
        user_id = db.Column(db.ForeignKey(User.id, ondelete="SET NULL"), nullable=True)

    class Invoice(db.Model):
        __tablename__ = f"host_invoice_{suffix}"
        id: Mapped[int] = mapped_column(primary_key=True)
        user_id = db.Column(db.ForeignKey(User.id), nullable=False)

    with app.app_context():
        db.create_all()
    yield {"db": db, "Note": Note, "Attachment": Attachment, "Invoice": Invoice}
    with app.app_context():
        db.session.rollback()
        db.drop_all()


def _add(app: Flask, host: HostModels, model: str, user_id: str, **values: Any) -> int:
    with app.app_context():
        row = host[model](user_id=uuid.UUID(user_id), **values)
        host["db"].session.add(row)
        host["db"].session.commit()
        return int(row.id)


def _get(app: Flask, host: HostModels, model: str, row_id: int) -> Any:
    with app.app_context():
        row = host["db"].session.get(host[model], row_id)
        host["db"].session.expunge_all()
        return row


def _delete(client: FlaskClient, user: dict[str, Any]) -> Any:
    return client.delete("/v2/users/self", headers=user["headers"], json={"password": PASSWORD})


def test_the_host_model_reaches_the_user_through_its_relationship(
        app: Flask, host: HostModels, user: dict[str, Any]) -> None:
    note = _add(app, host, "Note", user["userId"], text="hello")
    with app.app_context():
        loaded = host["db"].session.get(host["Note"], note)
        assert loaded.user.email == user["email"]
        assert str(loaded.user.id) == user["userId"]


def test_cascade_deletes_the_hosts_rows_with_the_account(
        client: FlaskClient, app: Flask, host: HostModels, user: dict[str, Any],
        register: Any) -> None:
    other = register("grace@example.com")
    mine = [_add(app, host, "Note", user["userId"], text=str(n)) for n in range(3)]
    theirs = _add(app, host, "Note", other["userId"], text="kept")
    response = _delete(client, user)
    assert response.status_code == 200, response.json
    assert_gone(client, app, user)
    assert [_get(app, host, "Note", note) for note in mine] == [None, None, None]
    assert _get(app, host, "Note", theirs).text == "kept"


def test_set_null_keeps_the_hosts_rows_without_their_user(
        client: FlaskClient, app: Flask, host: HostModels, user: dict[str, Any]) -> None:
    attachment = _add(app, host, "Attachment", user["userId"])
    assert _delete(client, user).status_code == 200
    assert_gone(client, app, user)
    assert _get(app, host, "Attachment", attachment).user_id is None


def test_a_key_without_on_delete_refuses_the_deletion_with_409_and_keeps_everything(
        client: FlaskClient, app: Flask, host: HostModels, user: dict[str, Any],
        caplog: pytest.LogCaptureFixture) -> None:
    note = _add(app, host, "Note", user["userId"], text="still here")
    invoice = _add(app, host, "Invoice", user["userId"])
    before = rows_of(app, user["userId"])
    with caplog.at_level(logging.WARNING, logger="flask_usercore"):
        response = _delete(client, user)
    assert response.status_code == 409
    assert response.json == {
        "type": "Conflict", "code": 409,
        "message": "the account cannot be deleted while the app still holds records that "
                   "refer to it"}
    assert rows_of(app, user["userId"]) == before  # the cascade to our rows rolled back too
    assert_alive(client, user)
    assert _get(app, host, "Note", note).text == "still here"
    assert _get(app, host, "Invoice", invoice) is not None
    [record] = [r for r in caplog.records if "not deleted" in r.getMessage()]
    assert record.getMessage().startswith(f"account {user['userId']} not deleted: rows of the "
                                          f"host app refer to it (")
    assert "DETAIL" not in record.getMessage()

    with app.app_context():  # the host settles its invoice: now the account can go
        host["db"].session.delete(host["db"].session.get(host["Invoice"], invoice))
        host["db"].session.commit()
    assert _delete(client, user).status_code == 200
    assert_gone(client, app, user)
    assert _get(app, host, "Note", note) is None
    with app.app_context():
        assert host["db"].session.scalar(
            select(func.count()).select_from(host["Invoice"])) == 0


def test_the_table_name_as_a_string_is_not_the_way(app: Flask) -> None:
    """``ForeignKey("usercore_users.id")`` names a table of the host's metadata, where ours
    are not: the error that docs/quickstart.md explains."""
    db: SQLAlchemy = app.extensions["usercore"].core.db

    class Wrong(db.Model):
        __tablename__ = f"host_wrong_{uuid.uuid4().hex[:8]}"
        id: Mapped[int] = mapped_column(primary_key=True)
        user_id = db.Column(db.Uuid, db.ForeignKey("usercore_users.id"))

    with pytest.raises(NoReferencedTableError, match="usercore_users"):
        Wrong.__table__.c.user_id.references(User.__table__)
    db.metadata.remove(Wrong.__table__)
