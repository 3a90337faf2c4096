"""Alembic, driven from code so `triage db upgrade` needs no alembic.ini."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from triage import ROOT
from triage.db import Database

MIGRATIONS = ROOT / "migrations"
# Expression indexes that only a migration creates (versions/0004_search.py); autogenerate
# and the model comparison must not try to drop them.
MIGRATION_ONLY_INDEXES = {"ix_messages_search", "ix_candidates_search"}


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    return not (type_ == "index" and name in MIGRATION_ONLY_INDEXES)


def alembic_config(database: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database.url.replace("%", "%%"))
    return config


def upgrade(database: Database, revision: str = "heads") -> None:
    """Bring the schema to `revision` inside one connection."""
    config = alembic_config(database)
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def heads() -> list[str]:
    return list(ScriptDirectory(str(MIGRATIONS)).get_heads())


def current(database: Database) -> str | None:
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def revision(database: Database, message: str) -> None:
    """Autogenerate a new revision from the difference between the tables and the database."""
    config = alembic_config(database)
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)
