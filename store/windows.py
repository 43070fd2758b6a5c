"""A seller's tier counts and seller-fulfilled orders over many windows at once, from one grouped statement.

The tier chart needs each week's counts and, for each week's last day, the counts over the trailing
metric window and the orders over the trailing 90 days. Every window's bounds are cut into the
intervals between them; one UNION ALL sums each source (the metrics of store.metrics, then orders)
per interval, and a window's sums are those of the intervals inside it. The statement is built once
per number of bounds (fixed for a policy window), the bounds bound as parameters.
"""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from sqlalchemy import bindparam, case, func, literal_column, select, union_all
from sqlalchemy.orm import Session

from .db import run
from .metrics import TIER_FACT_FIELDS, metric_sources
from .models import Order
from .types import UTCDateTime

Window = tuple[datetime, datetime]

# (fields, the moment that places a row in a window, aggregate columns, FROM clause, other conditions); orders last.
SOURCES = [*metric_sources(), (("orders",), Order.placed_at, (func.count(Order.id),), Order.__table__, [])]
WIDTH = max(len(aggregates) for _fields, _moment, aggregates, _source, _where in SOURCES)


@lru_cache(maxsize=8)
def _statement(points: int):
    """Per source and per interval between the bound parameters p0 < p1 < ... (the last interval is
    [p(points-2), p(points-1))), the source's aggregates: rows (source, interval, value...)."""
    bounds = [bindparam(f"p{i}", type_=UTCDateTime()) for i in range(points)]
    seller = bindparam("seller_id")
    parts = []
    for index, (_fields, moment, aggregates, source, where) in enumerate(SOURCES):
        values = [*aggregates, *(literal_column("0") for _ in range(WIDTH - len(aggregates)))]
        if points == 2:  # one interval: no grouping (GROUP BY a constant would name a column)
            interval = literal_column("0")
        else:
            interval = case(*((moment < bound, literal_column(str(i))) for i, bound in enumerate(bounds[1:-1])),
                            else_=literal_column(str(points - 2)))
        part = (select(literal_column(str(index)), interval, *values).select_from(source)
                .where(Order.seller_id == seller, Order.fulfilment == "seller", moment >= bounds[0], moment < bounds[-1],
                       *where))
        parts.append(part if points == 2 else part.group_by(interval))
    return union_all(*parts)


def _sums(parts: dict[int, list[int]], span: range, width: int) -> list[int]:
    inside = [parts[i] for i in span if i in parts]
    return [sum(column) for column in zip(*inside)] if inside else [0] * width


def window_sums(session: Session, *, seller_id: str, metric_windows: list[Window],
                order_windows: list[Window]) -> tuple[list[dict[str, int]], list[int]]:
    """The seller's tier counts (keys of TIER_FACT_FIELDS) in each of `metric_windows` and their seller-fulfilled
    orders in each of `order_windows` ([start, end) each), from one statement."""
    windows = [*metric_windows, *order_windows]
    if not windows:
        return [], []
    points = sorted({bound for span in windows for bound in span})
    if len(points) == 1:  # only empty windows
        points.append(points[0])
    position = {point: i for i, point in enumerate(points)}
    parts: list[dict[int, list[int]]] = [{} for _ in SOURCES]
    rows = run(session, _statement(len(points)), {"seller_id": seller_id, **{f"p{i}": p for i, p in enumerate(points)}})
    for source, interval, *values in rows:
        parts[source][interval] = [int(value) for value in values]
    def span(start: datetime, end: datetime) -> range:  # the intervals inside [start, end)
        return range(position[start], position[end]) if end > start else range(0)

    counts = []
    for start, end in metric_windows:
        facts, inside = dict.fromkeys(TIER_FACT_FIELDS, 0), span(start, end)
        for (fields, _moment, aggregates, _source, _where), sums in zip(SOURCES[:-1], parts):
            facts.update(zip(fields, _sums(sums, inside, len(aggregates))))
        counts.append(facts)
    orders = [_sums(parts[-1], span(start, end), 1)[0] for start, end in order_windows]
    return counts, orders
