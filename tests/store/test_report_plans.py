"""The return analytics and the claim finder are SQL aggregates that use the indexes: SQLite's plan of every
statement they run searches an index for each table and scans none (only the marketplace-wide report reads all of
the monthly sales summary, through its index). PostgreSQL plans by table size, so tiny test tables say nothing there."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import event

from store import open_store
from store.claim_candidates import claim_candidates
from store.returns_report import refund_decisions, return_stats

from .test_returns_report import _shop

SCAN = re.compile(r"\bSCAN (\w+)( USING (?:COVERING )?INDEX \w+)?")


@pytest.fixture
def shop(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'plans.sqlite3'}")
    _shop(store)
    yield store
    store.close()


def _plans(store, run) -> dict[str, list[str]]:
    """Each SELECT that `run(session)` sends, with SQLite's query plan lines."""
    sent: list[tuple[str, object]] = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            sent.append((statement, parameters))
    event.listen(store.engine, "before_cursor_execute", grab)
    try:
        with store.read() as session:
            run(session)
            connection = session.connection()
            return {statement: [row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]
                    for statement, parameters in list(sent)}
    finally:
        event.remove(store.engine, "before_cursor_execute", grab)


def _scans(plans: dict[str, list[str]]) -> list[tuple[str, str]]:
    return [(" ".join(statement.split())[:120], line) for statement, lines in plans.items() for line in lines if SCAN.search(line)]


def test_a_sellers_report_and_claim_finder_search_indexes_only(shop):
    def run(session):
        return_stats(session, seller_id="S1", since=date(2026, 8, 1))
        list(refund_decisions(session, seller_id="S1", since=date(2026, 8, 1)))
        claim_candidates(session, seller_id="S1", as_of=datetime(2026, 10, 20, tzinfo=timezone.utc), lookback_days=60)
    plans = _plans(shop, run)
    assert len(plans) >= 6
    assert not _scans(plans)


def test_the_marketplace_report_scans_only_the_monthly_summary(shop):
    plans = _plans(shop, lambda session: return_stats(session, seller_id=None, since=date(2026, 8, 1)))
    assert len(plans) >= 5
    for statement, line in _scans(plans):
        table, index = SCAN.search(line).groups()
        assert (table, bool(index)) == ("monthly_sales", True), (statement, line)


def test_the_marketplace_replay_reads_the_decision_log_in_order(shop):
    """Every refund decision since the date is decided again, so all of them are read; the log has no index by time
    alone (one would cost every logged decision an index insert), so this is the one scan (docs/returns-report.md)."""
    plans = _plans(shop, lambda session: list(refund_decisions(session, seller_id=None, since=date(2026, 8, 1))))
    assert [SCAN.search(line).groups() for _, line in _scans(plans)] == [("decisions", None)]
