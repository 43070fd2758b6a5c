"""SQLite bulk-load practice: a table's plain secondary indexes are dropped before a load that will at
least double the table, and built again, exactly as they were, after it, in the same transaction.

Building an index once from the finished table (one sort, pages filled in order) costs a fraction of
inserting every new row into it in the order the rows come (a B-tree descent and page splits per row);
with the new rows at least as many as the stored ones that holds even counting the stored rows again.
Only indexes that enforce nothing are deferred (UNIQUE ones stay, so a duplicate is refused at its line
as before), only on SQLite (a PostgreSQL DROP INDEX would lock the table against readers until the
commit; a SQLite reader keeps its snapshot, indexes included), and a failed import builds them again
before its error goes on (the caller rolls back anyway, which would bring them back). Statistics
(`sqlite_stat1`) stored for a dropped index are put back with it and reloaded.
"""
from __future__ import annotations

from typing import Callable

from sqlalchemy.orm import Session

DEFER_MIN_ROWS = 5_000  # a smaller load gains nothing worth a schema change


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class DeferredIndexes:
    """Decides per table, at its first write, whether to defer its plain indexes, and rebuilds them."""

    def __init__(self, session: Session, *, read_fraction: Callable[[], float] | None):
        self.session = session
        # read_fraction: how much of the file has been read (0..1], to estimate the rows the whole file brings
        self.read_fraction = read_fraction if session.get_bind().dialect.name == "sqlite" else None
        self.decided: set[str] = set()
        self.dropped: list[tuple[str, str, list[tuple]]] = []  # (index, its CREATE statement, its sqlite_stat1 rows)

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
        stored = connection.exec_driver_sql(f"SELECT max(rowid) FROM {_quoted(table)}").scalar() or 0  # >= its rows; O(log n)
        if expected < stored:
            return
        indexes = connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name",
            (table,)).fetchall()
        stats = connection.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'").first()
        for name, sql in indexes:
            if sql.lstrip()[:13].upper() == "CREATE UNIQUE":
                continue
            kept = (connection.exec_driver_sql("SELECT tbl, idx, stat FROM sqlite_stat1 WHERE idx = ?", (name,)).fetchall()
                    if stats is not None else [])
            connection.exec_driver_sql(f"DROP INDEX {_quoted(name)}")
            self.dropped.append((name, sql, [tuple(row) for row in kept]))

    def restore(self) -> None:
        """Build the dropped indexes again, as they were, with their statistics."""
        dropped, self.dropped = self.dropped, []
        if not dropped:
            return
        connection = self.session.connection()
        for _, sql, _ in dropped:
            connection.exec_driver_sql(sql)
        kept = [row for _, _, rows in dropped for row in rows]
        if kept:
            for row in kept:
                connection.exec_driver_sql("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)", row)
            connection.exec_driver_sql("ANALYZE sqlite_master")  # the planner reads sqlite_stat1 again

    def abandon(self) -> None:
        """After a failed import: build them again if the connection still can; a failure here is not the
        error to report, and the caller's rollback restores them anyway."""
        try:
            self.restore()
        except Exception:  # noqa: BLE001 - the import's own error is on its way
            pass
