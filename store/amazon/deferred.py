"""SQLite bulk-load practice: a table's plain secondary indexes are dropped before a load that will at
least double the table, and built again, exactly as they were, after it, in the same transaction.

Building an index once from the finished table (one sort, pages filled in order) costs a fraction of
inserting every new row into it in the order the rows come (a B-tree descent and page splits per row);
with the new rows at least as many as the stored ones that holds even counting the stored rows again.
Only indexes that enforce nothing are deferred (UNIQUE ones stay, so a duplicate is refused at its line
as before), only of tables no trigger reads (the monthly sales triggers look order items up by order: without
their index each would scan the table), only on SQLite (a PostgreSQL DROP INDEX would lock the table against readers until the
commit; a SQLite reader keeps its snapshot, indexes included), and a failed import builds them again
before its error goes on (the caller rolls back anyway, which would bring them back). Statistics
(`sqlite_stat1`, and `sqlite_stat4` where SQLite keeps it) stored for a dropped index are put back with it
and reloaded. The import's own reads go through primary keys and UNIQUE indexes, which stay.
"""
from __future__ import annotations

import re
from typing import Callable

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

DEFER_MIN_ROWS = 5_000  # a smaller load gains nothing worth a schema change
STAT_TABLES = ("sqlite_stat1", "sqlite_stat3", "sqlite_stat4")  # what ANALYZE keeps per index (3 and 4: if compiled in)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class DeferredIndexes:
    """Decides per table, at its first write, whether to defer its plain indexes, and rebuilds them."""

    def __init__(self, session: Session, *, read_fraction: Callable[[], float] | None):
        self.session = session
        # read_fraction: how much of the file has been read (0..1], to estimate the rows the whole file brings
        self.read_fraction = read_fraction if session.get_bind().dialect.name == "sqlite" else None
        self.decided: set[str] = set()
        self.dropped: list[tuple[str, str, list[tuple[str, tuple]]]] = []  # (index, its CREATE statement, its statistics)

    def before_writing(self, table: str, rows: int) -> None:
        """Called before the first write of `rows` rows into `table`: drop its plain indexes if the whole load
        will bring at least DEFER_MIN_ROWS rows and at least as many rows as the table holds."""
        if self.read_fraction is None or table in self.decided:
            return
        self.decided.add(table)
        fraction = self.read_fraction()
        expected = rows / fraction if 0 < fraction < 1 else rows
        if expected < DEFER_MIN_ROWS:
            return
        connection = self.session.connection()
        try:
            stored = connection.exec_driver_sql(f"SELECT max(rowid) FROM {_quoted(table)}").scalar() or 0  # >= its rows; O(log n)
        except OperationalError:  # a table WITHOUT ROWID: its indexes stay
            return
        if expected < stored:
            return
        schema = connection.exec_driver_sql("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
        mentioned = re.compile(rf"\b{re.escape(table)}\b", re.IGNORECASE)
        if any(kind == "trigger" and mentioned.search(sql or "") for kind, _, _, sql in schema):
            return
        stat_tables = sorted(name for kind, name, _, _ in schema if kind == "table" and name in STAT_TABLES)
        for kind, name, on, sql in sorted(schema, key=lambda entry: entry[1]):
            if kind != "index" or on != table or sql is None or sql.lstrip()[:13].upper() == "CREATE UNIQUE":
                continue
            kept = [(stat, tuple(row)) for stat in stat_tables
                    for row in connection.exec_driver_sql(f"SELECT * FROM {stat} WHERE idx = ?", (name,)).fetchall()]
            connection.exec_driver_sql(f"DROP INDEX {_quoted(name)}")
            self.dropped.append((name, sql, kept))

    def restore(self) -> None:
        """Build the dropped indexes again, as they were, with their statistics."""
        dropped, self.dropped = self.dropped, []
        if not dropped:
            return
        connection = self.session.connection()
        for _, sql, _ in dropped:
            connection.exec_driver_sql(sql)
        kept = [entry for _, _, rows in dropped for entry in rows]
        if kept:
            for stat, row in kept:
                connection.exec_driver_sql(f"INSERT INTO {stat} VALUES ({', '.join('?' * len(row))})", row)
            connection.exec_driver_sql("ANALYZE sqlite_master")  # the planner reads the statistics again

    def abandon(self) -> None:
        """After a failed import: build them again if the connection still can; a failure here is not the
        error to report, and the caller's rollback restores them anyway."""
        try:
            self.restore()
        except Exception:  # noqa: BLE001 - the import's own error is on its way
            pass
