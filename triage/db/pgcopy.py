"""Many rows in or changed with one COPY on PostgreSQL (the bulk import's fast path).

A multi-row INSERT or an executemany UPDATE costs the driver a query conversion and the server
a statement per few rows; COPY into a temporary table followed by one INSERT … SELECT or
UPDATE … FROM does the batch in three statements.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from psycopg.types.json import Jsonb
from sqlalchemy import JSON, Table
from sqlalchemy.engine import Connection

_names = itertools.count()


def _stage(dbapi, table: Table, columns: Sequence[str], rows: Sequence[dict]) -> str:
    """Create a temporary table shaped like `columns` of `table` (plus an ordinal n) and COPY rows in."""
    name = f"_stage_{table.name}_{next(_names)}"
    cursor = dbapi.cursor()
    quoted = ", ".join(f'"{c}"' for c in columns)
    cursor.execute(
        f'CREATE TEMP TABLE "{name}" ON COMMIT DROP AS SELECT 0::int AS n, {quoted} FROM "{table.name}" WITH NO DATA'
    )
    json_columns = {c for c in columns if isinstance(table.c[c].type, JSON)}
    with cursor.copy(f'COPY "{name}" (n, {quoted}) FROM STDIN') as copy:
        for n, row in enumerate(rows):
            copy.write_row((n, *(_value(row[c], c in json_columns) for c in columns)))
    return name


def _value(value, is_json: bool):
    if is_json:
        return None if value is None else Jsonb(value)
    if hasattr(value, "value") and isinstance(value, str):  # a StrEnum: its word, as the column stores it
        return value.value
    return value


def insert_new(
    connection: Connection, table: Table, rows: Sequence[dict], conflict: str, returning: Sequence[str]
) -> list[tuple]:
    """INSERT rows (all with the same keys), skipping conflicts on `conflict`; rows in input order."""
    defaults = _defaults(table, rows[0])
    rows = [{**row, **defaults} for row in rows] if defaults else rows
    columns = list(rows[0])
    dbapi = connection.connection.driver_connection
    name = _stage(dbapi, table, columns, rows)
    quoted = ", ".join(f'"{c}"' for c in columns)
    cursor = dbapi.cursor()
    cursor.execute(
        f'INSERT INTO "{table.name}" ({quoted}) SELECT {quoted} FROM "{name}" ORDER BY n '
        f'ON CONFLICT ("{conflict}") DO NOTHING RETURNING {", ".join(returning)}'
    )
    return cursor.fetchall()  # the stage table goes at commit (ON COMMIT DROP): no round trip for it


def _defaults(table: Table, row: dict) -> dict:
    """The Python-side column defaults Core would fill in (COPY does not know them)."""
    out = {}
    for column in table.columns:
        default = column.default
        if column.name in row or default is None or column.primary_key:
            continue
        if default.is_scalar:
            out[column.name] = default.arg
        elif default.is_callable:
            out[column.name] = default.arg(None)
    return out


def update_by_id(connection: Connection, table: Table, rows: Sequence[dict]) -> None:
    """UPDATE table rows by their "id" with the other keys of each row (all rows with the same keys)."""
    columns = list(rows[0])
    dbapi = connection.connection.driver_connection
    name = _stage(dbapi, table, columns, rows)
    sets = ", ".join(f'"{c}" = s."{c}"' for c in columns if c != "id")
    cursor = dbapi.cursor()
    cursor.execute(f'UPDATE "{table.name}" AS t SET {sets} FROM "{name}" AS s WHERE t.id = s.id')
