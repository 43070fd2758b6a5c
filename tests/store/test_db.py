"""Store connections: PostgreSQL connections the server ended are replaced before use, without a ping on every checkout."""
from __future__ import annotations

import time

import psycopg
import pytest
from sqlalchemy import text

import store.db
from store import open_store


@pytest.fixture
def pg_store(store_url):
    if not store_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to end a connection")
    opened = open_store(store_url)
    yield opened
    opened.close()


def backend_pid(store) -> int:
    with store.write() as session:
        return session.scalar(text("SELECT pg_backend_pid()"))


def count_pings(monkeypatch, store) -> list[int]:
    pings = []
    ping = store.engine.dialect.do_ping
    monkeypatch.setattr(store.engine.dialect, "do_ping", lambda connection: pings.append(1) or ping(connection))
    return pings


def test_a_connection_the_server_ended_is_replaced_before_use(pg_store, store_url):
    first = backend_pid(pg_store)
    with psycopg.connect(store_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (first,))
        while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (first,)).fetchone():
            time.sleep(0.01)  # until the server has closed it
    assert backend_pid(pg_store) != first  # no error: the pool saw the dead connection and opened another


def test_busy_connections_are_not_pinged_but_idle_ones_are(pg_store, monkeypatch):
    backend_pid(pg_store)
    pings = count_pings(monkeypatch, pg_store)
    for _ in range(5):
        backend_pid(pg_store)
    assert pings == []  # a connection back from work a moment ago is used as it is
    monkeypatch.setattr(store.db, "IDLE_PING_SECONDS", 0.0)
    backend_pid(pg_store)
    assert pings == [1]


def synchronous(session) -> str:
    if session.get_bind().dialect.name == "sqlite":
        return {1: "off", 2: "on"}.get(session.scalar(text("PRAGMA synchronous")), "?")  # NORMAL: no fsync at commit; FULL
    return session.scalar(text("SHOW synchronous_commit"))


def test_a_write_that_need_not_be_durable_does_not_wait_for_the_disk_and_the_next_one_does(store):
    with store.write(durable=False) as session:
        assert synchronous(session) == "off"
        session.execute(text("CREATE TABLE lazy (n INTEGER)"))
        session.execute(text("INSERT INTO lazy VALUES (1)"))
    with store.write() as session:
        assert synchronous(session) == "on"
        assert session.scalar(text("SELECT n FROM lazy")) == 1  # committed all the same
        session.execute(text("DROP TABLE lazy"))
    with store.read() as session:
        assert synchronous(session) == "on"


def test_only_the_hot_statements_are_prepared_on_postgresql(pg_store):
    from datetime import datetime, timezone

    from store import mark_update_processed
    from store.models import ProcessedUpdate

    from sqlalchemy import select

    with pg_store.write() as session:
        for n in range(8):  # more often than psycopg's default threshold (5) for automatic preparation
            mark_update_processed(session, update_id=n, processed_at=datetime.now(timezone.utc))
            session.execute(select(ProcessedUpdate.processed_at).where(ProcessedUpdate.update_id == n)).all()
        statements = session.scalars(text("SELECT statement FROM pg_prepared_statements")).all()
    assert [s.split()[:3] for s in statements] == [["INSERT", "INTO", "processed_updates"]]


def test_a_statement_run_on_the_connection_sees_what_the_session_added_first(store):
    from sqlalchemy import bindparam, select

    from store.db import run
    from store.models import Seller

    by_id = select(Seller.name).where(Seller.id == bindparam("id"))
    with store.write() as session:
        session.add(Seller(id="S7", name="Added, not flushed"))
        assert run(session, by_id, {"id": "S7"}).scalar_one() == "Added, not flushed"  # flushed first, as autoflush does
    with store.read() as session:
        assert run(session, by_id, {"id": "S7"}).scalar_one() == "Added, not flushed"
