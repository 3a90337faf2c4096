"""A database error's text goes to logs and RQ's failed-job records: it must not carry candidates' data."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError


def test_a_failing_statements_error_does_not_show_its_values(database):
    with pytest.raises(DBAPIError) as caught, database.session() as session:
        session.execute(text("SELECT no_such_column FROM messages WHERE subject = :v"), {"v": "ada@example.org"})
    assert "ada@example.org" not in str(caught.value)
