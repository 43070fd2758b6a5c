"""The query planner's statistics after a bulk import (PostgreSQL's ANALYZE), so the first report after it is planned
on what the tables hold now.

PostgreSQL plans from statistics that only ANALYZE (or autovacuum, when it is on and gets round to it) gathers. A
seller's returns report planned on the statistics of an almost empty table reads every return in the marketplace
(1.2 s on the 1M-order benchmark data, against 0.05 s once analysed). An import therefore analyses, in the import's
transaction, each table it grew by at least autovacuum's own analyze threshold (50 rows plus 10% of the rows the
planner believes the table holds), and the tables that triggers keep from them. SQLite needs nothing here.
"""
from __future__ import annotations

from typing import Mapping

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

ANALYZE_BASE_ROWS = 50  # autovacuum_analyze_threshold's default
ANALYZE_FRACTION = 0.1  # autovacuum_analyze_scale_factor's default
# Tables that triggers write when these tables are written (migration 0007_monthly_sales).
KEPT_BY_TRIGGERS = {"orders": ("monthly_sales",), "order_items": ("monthly_sales",)}

_ESTIMATES = text("SELECT c.relname, c.reltuples FROM pg_class c WHERE c.relname IN :names "
                  "AND c.relnamespace = current_schema()::regnamespace").bindparams(bindparam("names", expanding=True))


def tables_to_analyze(written: Mapping[str, int], estimates: Mapping[str, float]) -> list[str]:
    """The tables whose `written` rows reach the analyze threshold of the planner's `estimates` (a negative or missing
    estimate: never analysed), with the tables triggers keep from them; sorted by name, the one order every import
    analyses in (ANALYZE keeps its lock on a table until the import commits: two imports taking shared tables in
    different orders would deadlock)."""
    chosen: set[str] = set()
    for table, rows in written.items():
        estimate = estimates.get(table, -1.0)
        if rows > 0 and (estimate < 0 or rows >= ANALYZE_BASE_ROWS + ANALYZE_FRACTION * estimate):
            chosen.update((table, *KEPT_BY_TRIGGERS.get(table, ())))
    return sorted(chosen)


def refresh_statistics(session: Session, *, written: Mapping[str, int]) -> list[str]:
    """On PostgreSQL, ANALYZE the tables an import grew past the threshold (see the module); the tables analysed."""
    if session.get_bind().dialect.name != "postgresql":
        return []
    grown = {table: rows for table, rows in written.items() if rows > 0}
    if not grown:
        return []
    estimates = dict(session.execute(_ESTIMATES, {"names": sorted(grown)}).all())  # only the grown tables' are compared
    chosen = tables_to_analyze(grown, estimates)
    connection = session.connection()
    for table in chosen:
        connection.exec_driver_sql(f'ANALYZE "{table}"')  # a name from our own schema, never from the input
    return chosen
