"""Fixtures shared by every test package: the default policy compiled once, and an opened store on
SQLite and on PostgreSQL.

PostgreSQL tests use a throwaway database (rb_<random>) created through the `test` database and
dropped at the end of the session. If the server is unreachable they are skipped, unless
REFUNDBOT_REQUIRE_POSTGRES=1 (as on CI), when they fail.
"""
from __future__ import annotations

import os
import secrets
from contextlib import contextmanager
from typing import Iterator

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import text

from policy import DEFAULT_POLICY_PATH, Policy, load_policy
from rules import CompiledPolicy, compile_policy
from store import Store, open_store
from store.models import Base

BACKENDS = ("sqlite", "postgresql")
PG_ADMIN_URL = os.environ.get(
    "REFUNDBOT_TEST_PG_URL", f"postgresql://postgres@{os.environ.get('REFUNDBOT_TEST_PG_HOST', '127.0.0.1')}:5432/test")


def _require_postgres() -> bool:
    return os.environ.get("REFUNDBOT_REQUIRE_POSTGRES") == "1"


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new empty PostgreSQL database for the duration of the block; skips (or fails) if PostgreSQL is down."""
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {str(exc).strip()}"
        if _require_postgres():
            pytest.fail(message + " (REFUNDBOT_REQUIRE_POSTGRES=1)")
        pytest.skip(message + "; start it with scripts/ensure-test-services")
    name = f"rb_{secrets.token_hex(6)}"
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
        finally:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def _postgres_store_url() -> Iterator[str]:
    with postgres_database() as url:
        open_store(url).close()  # migrate once; each test then starts from empty tables
        yield url


@pytest.fixture(params=BACKENDS)
def store_url(request, tmp_path) -> str:
    """The URL of an empty, migrated database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/refundbot.sqlite3"
    url = request.getfixturevalue("_postgres_store_url")
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"TRUNCATE {tables} CASCADE")
    return url


@pytest.fixture
def store(store_url) -> Iterator[Store]:
    """An opened store on an empty database, on each backend."""
    opened = open_store(store_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def backend(store_url) -> str:
    """'sqlite' or 'postgresql'."""
    return "sqlite" if store_url.startswith("sqlite") else "postgresql"


def execute_raw(opened: Store, statement: str, **params) -> None:
    """Run SQL directly, bypassing the store's Python validation."""
    with opened.engine.begin() as connection:
        connection.execute(text(statement), params)


@pytest.fixture(scope="session")
def default_policy() -> Policy:
    """The shipped default policy."""
    return load_policy(DEFAULT_POLICY_PATH)


@pytest.fixture(scope="session")
def engine(default_policy: Policy):
    """The default policy compiled once for the session."""
    compiled: CompiledPolicy = compile_policy(default_policy)
    yield compiled
    compiled.close()
