"""Opening the store: the engine for SQLite or PostgreSQL, migrations to head, and sessions."""
from __future__ import annotations

import os
import select
import sqlite3
import threading
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Iterator

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from .errors import StoreError
from .migrate import upgrade
from .types import dumps

BUSY_TIMEOUT_MS = 30_000
RANDOM_PAGE_COST = 1.1
IDLE_PING_SECONDS = 30.0  # a PostgreSQL connection idle this long is pinged before use
_WRITE = "refundbot_write"
_LAZY = "refundbot_lazy_commit"
PREPARE = "refundbot_prepare"  # execution option: a PostgreSQL server-side prepared statement
NEVER = 2**62  # psycopg's automatic preparation threshold: never (None would also refuse explicit preparation)
_NO_WAIT = text("SET LOCAL synchronous_commit = off")


class _TakeTurns:
    """A re-entrant lock that serves threads first come, first served (threading.Lock is not fair: under
    contention a thread can wait for seconds while others take the lock again and again)."""

    def __init__(self):
        self._cond = threading.Condition()
        self._next = self._serving = self._depth = 0
        self._owner: int | None = None

    def __enter__(self) -> "_TakeTurns":
        me = threading.get_ident()
        with self._cond:
            if self._owner == me:
                self._depth += 1
                return self
            ticket, self._next = self._next, self._next + 1
            while self._serving != ticket:
                self._cond.wait()
            self._owner, self._depth = me, 1
        return self

    def __exit__(self, *exc) -> None:
        with self._cond:
            self._depth -= 1
            if self._depth == 0:
                self._owner = None
                self._serving += 1
                self._cond.notify_all()


class Store:
    """An opened database: `write()` and `read()` give sessions in one transaction each."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.dialect = engine.dialect.name
        self._writer = sessionmaker(engine.execution_options(**{_WRITE: True}), expire_on_commit=False)
        self._lazy_writer = sessionmaker(engine.execution_options(**{_WRITE: True, _LAZY: True}), expire_on_commit=False)
        self._reader = sessionmaker(engine, expire_on_commit=False)
        # SQLite has one write lock and makes waiters poll for it in growing sleeps (up to 100 ms each), so
        # threads of one process queue here instead, in order; other processes still wait on busy_timeout.
        self._write_turn = _TakeTurns() if self.dialect == "sqlite" else nullcontext()

    @contextmanager
    def write(self, *, durable: bool = True) -> Iterator[Session]:
        """A write transaction (SQLite: BEGIN IMMEDIATE), committed on success, rolled back on error.

        `durable=False` commits without waiting for the disk (SQLite: synchronous=NORMAL for it;
        PostgreSQL: synchronous_commit off), for writes that may be lost to a power cut or a server
        crash, never to a crash of this process, such as a lease: the next durable commit makes it
        durable too, and losing it leaves the row to be taken again.
        """
        with self._write_turn, (self._writer if durable else self._lazy_writer)() as session, session.begin():
            if not durable and self.dialect == "postgresql":
                session.execute(_NO_WAIT)
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only transaction, rolled back at the end."""
        with self._reader() as session:
            try:
                yield session
            finally:
                session.rollback()

    def close(self) -> None:
        """Dispose of the engine's connections."""
        self.engine.dispose()


def open_store(url: str, *, create_folder: bool = False, connections: int | None = None) -> Store:
    """Open the database at `url` (sqlite:///PATH or postgresql://...) and migrate it to head.

    A SQLite file whose folder is missing is a StoreError (a mistyped path must not become a new,
    empty database), unless `create_folder` (the demo, which recreates the database on purpose).
    `connections` sizes the PostgreSQL connection pool for a process with that many threads at work
    (default: SQLAlchemy's 5, and 10 more under load).
    """
    engine = create(url, create_folder=create_folder, connections=connections)
    try:
        upgrade(engine)
    except OperationalError as exc:
        engine.dispose()
        raise StoreError(f"cannot open the database {engine.url.render_as_string(hide_password=True)}: {exc.orig}") from None
    except BaseException:
        engine.dispose()
        raise
    return Store(engine)


def create(url: str, *, create_folder: bool = False, connections: int | None = None) -> Engine:
    """The engine for `url` with the store's connection settings; StoreError for an unusable URL or a missing SQLite folder."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"invalid database URL {url!r}: {exc}") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite(parsed, create_folder=create_folder)
    if backend in ("postgresql", "postgres"):
        return _postgresql(parsed.set(drivername="postgresql+psycopg"), connections)
    raise StoreError(f"unsupported database {backend!r} in {url!r}: use sqlite:///PATH or postgresql://...")


def _postgresql(url, connections: int | None = None) -> Engine:
    # No automatic server-side prepared statements: after five runs PostgreSQL may switch a prepared query
    # to a generic plan that ignores which seller is asked for, and hash-joins every seller's rows. Only
    # statements marked `prepared` are (the chat, inbox and outbox statements of every update, which look
    # rows up by key, so their generic plan is the custom one): planning them on every update cost more
    # than running them.
    pool = {"pool_size": connections, "max_overflow": connections} if connections else {}
    engine = create_engine(url, json_serializer=dumps, connect_args={"prepare_threshold": NEVER, "cursor_factory": _cursor_class()},
                           **pool)

    @event.listens_for(engine, "before_cursor_execute")
    def before_execute(_connection, cursor, _statement, _parameters, context, executemany):
        if context is not None and not executemany and context.execution_options.get(PREPARE):
            cursor.prepare_next = True

    @event.listens_for(engine, "connect")
    def configure(dbapi_connection, record):
        # The default (4.0) prices an index probe like a spinning-disk seek, which makes the planner
        # scan whole tables for one seller's metrics; the working set is cached or on SSD.
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET random_page_cost = {RANDOM_PAGE_COST}")
        dbapi_connection.commit()
        record.info["idle_since"] = time.monotonic()

    _check_liveness(engine)
    return engine


def run(session: Session, statement, params=None):
    """Execute a column statement built once on ORM attributes on the session's connection: the ORM's per-call work
    in Session.execute (about 20 us of a 40 us key lookup on SQLite) is skipped, and what the caller added is
    flushed first, as autoflush would."""
    session.flush()
    return session.connection().execute(statement, params)


def prepared(statement):
    """The statement, marked to run as a server-side prepared statement on PostgreSQL (for hot key lookups only)."""
    return statement.execution_options(**{PREPARE: True})


def _cursor_class():
    import psycopg

    class PreparingCursor(psycopg.Cursor):
        """A cursor that prepares the next statement when told to (SQLAlchemy does not pass psycopg's `prepare`)."""

        prepare_next = False

        def execute(self, query, params=None, *, prepare=None, binary=None):
            if self.prepare_next:
                self.prepare_next, prepare = False, True
            return super().execute(query, params, prepare=prepare, binary=binary)

    return PreparingCursor


def _has_input(fd: int) -> bool:
    """Whether the socket has something to read, without waiting (poll: select() fails on descriptors over 1023)."""
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


def _check_liveness(engine: Engine) -> None:
    """Hand out only live PostgreSQL connections, without a round trip on every checkout (pool_pre_ping's SELECT 1).

    A server that ends a connection (a restart, pg_terminate_backend, an idle timeout) sends a FATAL
    message and closes the socket, so a connection with something to read while idle in the pool is
    pinged, as is one idle for IDLE_PING_SECONDS (a peer that vanished without a word); a failed ping
    is a DisconnectionError, on which the pool opens a new connection and tries again.
    """

    @event.listens_for(engine, "checkin")
    def checked_in(_dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def checked_out(dbapi_connection, record, _proxy):
        if dbapi_connection.closed or dbapi_connection.broken:
            raise DisconnectionError("the connection is closed")
        idle = time.monotonic() - record.info.get("idle_since", 0.0)
        if idle < IDLE_PING_SECONDS and not _has_input(dbapi_connection.fileno()):
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            if engine.dialect.is_disconnect(exc, dbapi_connection, None):
                raise DisconnectionError(str(exc)) from exc
            raise


def _sqlite(url, *, create_folder: bool) -> Engine:
    # Python's sqlite3 adapts every bound value that is not exactly an int, float, str or bytearray. For None it
    # first looks `__adapt__` up on its protocol class, which fails by raising and formatting an AttributeError
    # (~2,000 instructions a value: 4% of a returns-report import, which binds ~3.5 NULLs a line); an adapter
    # registered for None is found in a dict first (`{}.get(None)` is None, with no Python frame).
    sqlite3.register_adapter(type(None), {}.get)
    database = url.database or ":memory:"
    memory = database == ":memory:"
    if not memory:
        folder = Path(database).absolute().parent
        if create_folder:
            folder.mkdir(parents=True, exist_ok=True)
        elif not folder.is_dir():
            what = "is not a folder" if folder.exists() else "does not exist"
            raise StoreError(f"cannot open the database {url.render_as_string(hide_password=True)}: the folder {folder} {what} "
                             "(create it, or fix database.url; `refundbot demo` creates its own)")
    options = {"poolclass": StaticPool} if memory else {}
    engine = create_engine(url, json_serializer=dumps, connect_args={"check_same_thread": False}, **options)

    @event.listens_for(engine, "connect")
    def configure(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" event below issues BEGIN
        cursor = dbapi_connection.cursor()
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def begin(connection):
        options = connection.get_execution_options()
        synchronous = "NORMAL" if options.get(_LAZY) else "FULL"  # NORMAL in WAL mode: no fsync at commit
        if connection.info.get("synchronous", "FULL") != synchronous:
            connection.exec_driver_sql(f"PRAGMA synchronous={synchronous}")
            connection.info["synchronous"] = synchronous
        # A deferred transaction that later writes can fail with "database is locked" without
        # waiting; taking the write lock up front makes writers queue on the busy timeout instead.
        connection.exec_driver_sql("BEGIN IMMEDIATE" if options.get(_WRITE) else "BEGIN")

    return engine


def sqlite_path(url: str) -> str | None:
    """The file of an sqlite:/// URL, or None for other databases and in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return os.path.abspath(parsed.database)
