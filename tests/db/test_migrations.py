"""One head, and upgrading an empty database gives exactly the tables of the models."""

from sqlalchemy import inspect

from triage.db import Base, Database, migrate


def test_one_head():
    assert len(migrate.heads()) == 1


def test_upgrade_gives_the_model_tables(database_url):
    database = Database(database_url)
    try:
        tables = set(inspect(database.engine).get_table_names()) - {"alembic_version"}
        assert tables == set(Base.metadata.tables)
    finally:
        database.dispose()


def test_head_matches_the_models(database_url):
    """Autogenerate finds nothing to do: the migrations and the tables agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from triage.db.migrate import include_object

    database = Database(database_url)
    try:
        with database.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include_object})
            diff = compare_metadata(context, Base.metadata)
        assert diff == []
    finally:
        database.dispose()


def test_columns_match_the_models(database_url):
    database = Database(database_url)
    try:
        inspector = inspect(database.engine)
        for table in Base.metadata.sorted_tables:
            assert {c["name"] for c in inspector.get_columns(table.name)} == set(table.columns.keys()), table.name
    finally:
        database.dispose()
