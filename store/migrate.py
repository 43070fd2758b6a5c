"""Runs the Alembic migrations packaged in store/migrations, without an alembic.ini."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config() -> Config:
    """An Alembic configuration pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine) -> None:
    """Migrate the database to every head revision in one transaction that excludes concurrent migrators."""
    config = alembic_config()
    with engine.connect().execution_options(refundbot_write=True) as connection, connection.begin():
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(7354112)"))  # one migrator at a time
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")  # feature branches of the schema may each start from 0001
