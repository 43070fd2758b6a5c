"""Writes the rows of Amazon report lines in batches, in the caller's transaction: parents first,
with INSERT ... ON CONFLICT so a report imported again finds its rows, and a check that stored
money and reasons are not silently changed."""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from ..errors import ImportFailed, StoreError
from ..models import Base
from ..types import Money
from .columns import ORDERS, RETURNS, Header
from .deferred import DeferredIndexes
from .rows import A_TO_Z as A_TO_Z_OF_LINE, CLAIM, ITEM_ID as ITEM_OF_LINE, PRODUCT as PRODUCT_OF_LINE, REFUND, RETURN, ZERO
from .rows import buyer_row, item_row, order_row

BATCH_LINES = 5_000
LOOKUP_CHUNK = 5_000
# SQLite: rows per INSERT statement. One statement of many rows costs far less per row than executemany's
# statement per row (which, among other things, rebuilds the lookup table of every `IN (...)` CHECK for each
# row); bounded by the number of parameters SQLite accepts in one statement. 100 rows cost fewer instructions per row
# than 500 (callgrind, the returns report: -1% after the orders report, -1.3% into an empty database) or 20.
SQLITE_ROWS = 100
# The row counts of the statements a batch is written in (100, 10 and 1 rows): a few shapes, each prepared once
# per connection, instead of one shape per batch's remainder (preparing a statement of n rows costs as much as
# running it).
SQLITE_SHAPES = (SQLITE_ROWS, 10, 1)
SQLITE_PARAMETERS = 32_766 if sqlite3.sqlite_version_info >= (3, 32) else 999

COLUMNS = {
    "buyers": ("id", "name", "country"),
    "products": ("id", "seller_id", "sku", "name", "category", "price"),
    "orders": ("id", "buyer_id", "seller_id", "fulfilment", "placed_at", "shipped_at", "delivered_at", "currency",
               "shipping_paid", "a_to_z_claim"),
    "order_items": ("id", "order_id", "product_id", "quantity", "unit_price"),
    "shipments": ("id", "order_id", "carrier", "tracking_number", "tracking_valid", "shipped_at", "delivered_at"),
    "return_requests": ("id", "order_item_id", "reason", "condition", "requested_at", "prepaid_label", "ships_back",
                        "delivered_at", "condition_received", "decision_id", "amazon_rma_id", "amazon_reason"),
    "refunds": ("id", "order_item_id", "amount", "fee", "issued_by", "issued_at", "auto_refund_late", "decision_id",
                "amazon_resolution"),
    "claims": ("id", "refund_id", "reason", "evidence", "filed_at", "status", "reimbursement", "decision_id",
               "safet_claim_id", "safet_claim_state"),
}
TABLES = tuple(COLUMNS)  # parents before children

# What a report may change in a row already stored: column -> how (table `{t}`, new value `{new}`, old
# `{old}`); a table not listed keeps what is stored (the first import wins). A later report knows more:
# the return's delivery, the SAFE-T claim's state and reimbursement.
REPLACE, KEEP_KNOWN, EITHER = "{new}", "COALESCE({new}, {old})", "({old} OR {new})"
# A product first seen without a category (the orders report has none) takes the first one a report gives.
CATEGORY = "CASE WHEN {old} = 'uncategorized' THEN {new} ELSE {old} END"
UPDATES: dict[str, dict[str, dict[str, str]]] = {
    RETURNS: {"products": {"category": CATEGORY}, "orders": {"a_to_z_claim": EITHER},  # the orders report does not know of A-to-z claims
              "return_requests": {"delivered_at": KEEP_KNOWN, "amazon_rma_id": KEEP_KNOWN},
              "refunds": {"issued_at": REPLACE, "amazon_resolution": REPLACE},
              "claims": {"status": REPLACE, "reimbursement": REPLACE, "safet_claim_state": REPLACE, "filed_at": REPLACE}},
    ORDERS: {"buyers": {"country": KEEP_KNOWN}, "products": {"category": CATEGORY},
             "orders": {"fulfilment": REPLACE, "placed_at": REPLACE, "currency": KEEP_KNOWN, "shipping_paid": REPLACE},
             "order_items": {"product_id": REPLACE, "quantity": REPLACE, "unit_price": REPLACE},
             "shipments": {"carrier": REPLACE, "shipped_at": REPLACE}},
}
# Values a report may not change once stored: the column, and the report column it came from.
FIXED: dict[str, dict[str, dict[str, str]]] = {
    RETURNS: {"return_requests": {"order_item_id": "Order ID", "reason": "Return Reason"},
              "refunds": {"amount": "Refunded Amount", "issued_by": "Resolution"},
              "claims": {"refund_id": "SafeT claim id", "reason": "SafeT Action reason"}},
    ORDERS: {"order_items": {"order_id": "amazon-order-id"}},
}
# Columns whose value is the same on every row a report makes: None where it never fills them, the import's seller
# (SELLER), a constant. On SQLite written as literals, not bound: each bound value costs the driver a conversion and
# SQLite a copy (a text ~900 instructions, a None ~1,000: the driver looks an adapter up).
SELLER = "the import's seller"
LITERALS: dict[str, dict[str, dict[str, Any]]] = {
    RETURNS: {"buyers": {"country": None},
              "orders": {"seller_id": SELLER, "fulfilment": "seller", "shipped_at": None, "delivered_at": None, "shipping_paid": ZERO},
              "return_requests": {"condition_received": None, "decision_id": None},
              "refunds": {"fee": ZERO, "decision_id": None}, "claims": {"decision_id": None}},
    ORDERS: {},
}
# The record each report counts as new or already stored.
MAIN = {RETURNS: "return_requests", ORDERS: "order_items"}
SHIPPING = COLUMNS["orders"].index("shipping_paid")
A_TO_Z = COLUMNS["orders"].index("a_to_z_claim")
# A row whose id is staged already in the batch: the parents of a report that do not change keep the first
# (as with stored rows); an order merges; the others take the later line's values.
KEEP_FIRST = "keep the first"
MERGES: dict[str, dict[str, Callable[[tuple, tuple], tuple]]] = {
    # the order's shipping is the sum of its lines'
    ORDERS: {"orders": lambda old, new: (*new[:SHIPPING], old[SHIPPING] + new[SHIPPING], *new[SHIPPING + 1:])},
    # (a returns report's orders are staged by _add_return: an A-to-z claim on any line of the order marks the order)
    RETURNS: {},
}


@dataclass
class Counts:
    """Lines read, skipped, and rows per table; `new` and `stored` for the report's main record."""

    lines: int = 0
    skipped: int = 0
    rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))
    new: int = 0
    stored: int = 0


class BatchWriter:
    """Stages the rows of report lines and writes them every BATCH_LINES lines."""

    def __init__(self, session: Session, *, fmt: str, seller_id: str, path: str, header: Header,
                 read_fraction: Callable[[], float] | None = None):
        self.session = session
        self.indexes = DeferredIndexes(session, read_fraction=read_fraction)
        self.fmt = fmt
        self.seller_id = seller_id
        self.path = path
        self.header = header
        self.counts = Counts()
        self.staged: dict[str, dict[str, tuple[tuple, int]]] = {}
        self._stage_afresh()
        self.lines = 0
        self.last_order: str | None = None
        self.dialect = session.get_bind().dialect
        # (a seller id holding a NUL is bound: SQLite takes no NUL in a statement's text)
        self._literals = ({t: {c: seller_id if value is SELLER else value for c, value in columns.items()
                               if value is not SELLER or "\x00" not in seller_id}
                           for t, columns in LITERALS[fmt].items()} if self.dialect.name == "sqlite" else {})
        self._statements = {t: self._statement(t) for t in TABLES}
        self._lookups: dict[Any, tuple[str, list]] = {}
        self._multi: dict[Any, str] = {}
        self._widths = {t: len(COLUMNS[t]) - len(self._literals.get(t, {})) for t in TABLES}  # values bound per row
        self._binders = {t: _binder(len(COLUMNS[t]), self._statements[t][1],
                                    [(COLUMNS[t].index(c), value) for c, value in self._literals.get(t, {}).items()])
                         for t in TABLES}
        if fmt == RETURNS:
            self.add = self._add_return  # type: ignore[method-assign]

    def _add_return(self, rows: tuple, line: int) -> None:
        """`add` for a returns line (returns_rows' tuple): its order and order item are staged as the line's rows,
        made into table rows at the flush only if they are to be written; products, returns, refunds and claims take
        the later line, which must agree on fixed values."""
        order_id = rows[0]
        if self.lines >= BATCH_LINES and order_id != self.last_order:
            self.flush()  # at an order's boundary, as add does
        self.last_order = order_id
        self.lines += 1
        orders, products, items, returns, refunds, claims = self._returns_staged
        staged = orders.get(order_id)
        if staged is None:
            orders[order_id] = [rows, line, line, rows[A_TO_Z_OF_LINE]]  # the latest line's rows and number, the first's, any claim
        else:
            staged[0], staged[1], staged[3] = rows, line, staged[3] or rows[A_TO_Z_OF_LINE]
        if rows[ITEM_OF_LINE] not in items:
            items[rows[ITEM_OF_LINE]] = (rows, line)
        product = rows[PRODUCT_OF_LINE]
        products[product[0]] = (product, line)
        row = rows[RETURN]
        earlier = returns.get(row[0])
        if earlier is not None:
            self._same_fixed("return_requests", earlier[0], row, line)
        returns[row[0]] = (row, line)
        row = rows[REFUND]
        if row is not None:
            earlier = refunds.get(row[0])
            if earlier is not None:
                self._same_fixed("refunds", earlier[0], row, line)
            refunds[row[0]] = (row, line)
            row = rows[CLAIM]
            if row is not None:
                earlier = claims.get(row[0])
                if earlier is not None:
                    self._same_fixed("claims", earlier[0], row, line)
                claims[row[0]] = (row, line)

    def add(self, rows: dict[str, Any], line: int) -> None:
        """Stage one line's rows (a repeated id within the batch must agree on fixed values)."""
        order_id = rows["orders"][0]
        if self.lines >= BATCH_LINES and order_id != self.last_order:
            self.flush()  # at an order's boundary, so the lines of one order are summed in one batch
        self.last_order = order_id
        staging = self._staging
        for table, row in rows.items():
            staged, fixed, merge = staging[table]
            earlier = staged.get(row[0])
            if earlier is not None:
                if fixed:
                    self._same_fixed(table, earlier[0], row, line)
                if merge is KEEP_FIRST:
                    continue  # a parent seen earlier in the batch: the first wins, as with stored rows
                if merge is not None:
                    row = merge(earlier[0], row)
            staged[row[0]] = (row, line)
        self.lines += 1

    def _stage_afresh(self) -> None:
        self.staged = {t: {} for t in TABLES}
        updates, fixed = UPDATES[self.fmt], FIXED[self.fmt]
        self._staging = {t: (self.staged[t], bool(fixed.get(t)), MERGES[self.fmt].get(t, None if t in updates else KEEP_FIRST))
                         for t in TABLES}
        # a returns report's orders and order items by id: [rows, line, first line, claimed] and (rows, line) of its lines
        self._returns_staged = ({}, self.staged["products"], {}, *(self.staged[t] for t in ("return_requests", "refunds", "claims")))

    def flush(self) -> None:
        """Write the staged rows, parents first, and stage afresh."""
        batch, (orders, _, items, *_) = self.staged, self._returns_staged
        self._stage_afresh()
        self.lines = 0
        for table, staged in batch.items():
            self.counts.rows[table] += len(staged)
        if self.fmt == RETURNS:
            self._returns_parents(batch, orders, items)
        else:
            self._stored_orders(batch["orders"])  # (another seller's order is refused)
        for table in TABLES:
            staged = batch[table]
            if not staged:
                continue
            if table in FIXED[self.fmt] or table == MAIN[self.fmt]:
                self._check_stored(table, staged)
            self.indexes.before_writing(table, len(staged))
            self._write(table, list(staged.values()))

    def _stored_orders(self, staged: dict[str, tuple[tuple, int]]) -> dict[str, bool]:
        """The staged orders already stored, each with whether it is stored with an A-to-z claim; ImportFailed
        for one stored as another seller's. Only the exceptions come back from the database (orders not stored,
        another seller's, already claimed): usually a few rows for thousands of ids, each row fetched costing more
        than the probe that found it."""
        ids = list(staged)
        unstored, claimed = [], set()
        for order_id, seller_id, a_to_z in self._unusual_orders(ids):
            if seller_id is None:
                unstored.append(order_id)
            elif seller_id != self.seller_id:
                label = self.header.label("Order ID" if self.fmt == RETURNS else "amazon-order-id")
                raise ImportFailed(self.path, staged[order_id][1], f"{label}: order {order_id!r} is stored as another seller's order")
            else:
                claimed.add(order_id)
        if len(unstored) == len(ids):
            return {}
        found = dict.fromkeys(ids, False)
        for order_id in unstored:
            del found[order_id]
        for order_id in claimed:
            found[order_id] = True
        return found

    def _unusual_orders(self, ids: list[str]) -> list[tuple]:
        """(id, seller_id, a_to_z_claim) of the `ids` not stored (seller_id None), stored as another seller's, or
        stored with an A-to-z claim."""
        if self.dialect.name == "sqlite" and ids and self._after_stored("orders", ids):
            return [(order_id, None, None) for order_id in ids]
        statement = self._id_statement(
            "unusual orders", "SELECT ids.value, t.seller_id, t.a_to_z_claim FROM {ids} LEFT JOIN orders AS t ON t.id = ids.value "
                              "WHERE t.id IS NULL OR t.seller_id <> {marker} OR t.a_to_z_claim")
        return self._by_chunks(statement, ids, (self.seller_id,))

    def _unstored(self, table: str, ids: list[str]) -> list[str]:
        """The `ids` not stored in `table` (one row back per id missing, none per id found)."""
        if self.dialect.name == "sqlite" and ids and self._after_stored(table, ids):
            return ids
        statement = self._id_statement(("unstored", table), "SELECT ids.value FROM {ids} WHERE NOT EXISTS "
                                                            f"(SELECT 1 FROM {self.dialect.identifier_preparer.quote(table)} AS t "
                                                            "WHERE t.id = ids.value)")
        return [row[0] for row in self._by_chunks(statement, ids, ())]

    def _id_statement(self, key: Any, template: str) -> str:
        """`template` with `{ids}` as the table of the bound ids (JSON text on SQLite, an array on PostgreSQL) and
        `{marker}` a further parameter; built once per key."""
        found = self._lookups.get(key)
        if found is None:
            sqlite = self.dialect.name == "sqlite"
            found = self._lookups[key] = (template.format(ids="json_each(?) AS ids" if sqlite else "unnest(%s::text[]) AS ids(value)",
                                                          marker="?" if sqlite else "%s"), [])
        return found[0]

    def _by_chunks(self, statement: str, ids: list[str], more: tuple, fetch: bool = True) -> list[tuple]:
        """The rows `statement` gives for `ids` (none unless `fetch`), LOOKUP_CHUNK ids at a time (bound first, `more`
        after them)."""
        connection = self.session.connection()
        sqlite = self.dialect.name == "sqlite"
        found: list[tuple] = []
        for start in range(0, len(ids), LOOKUP_CHUNK):
            chunk = ids[start:start + LOOKUP_CHUNK]
            result = connection.exec_driver_sql(statement, (_json_texts(chunk) if sqlite else chunk, *more))
            if fetch:
                found += result.fetchall()
        return found

    def _after_stored(self, table: str, ids: list[str]) -> bool:
        """SQLite: whether every id sorts after the greatest stored in `table` (a first import, or a file in key order
        after what is stored), so none is stored."""
        greatest = self._greatest_id(table)
        # ids[0] first: when it is not after the greatest, no min() over the batch (the usual answer for parents)
        return greatest is not None and ids[0] > greatest and min(ids) > greatest

    def _returns_parents(self, batch: dict[str, dict[str, tuple[tuple, int]]], orders: dict[str, list], items: dict[str, tuple[tuple, int]]) -> None:
        """Stage the buyers, orders and order items of a returns report's lines that are not stored. A returns report
        adds nothing to an order already stored (from the orders report, usually) but its A-to-z claim, set here, so
        its buyer, order and stored order items are neither made nor written."""
        counted = self.counts.rows
        counted["buyers"] += len(orders)
        counted["orders"] += len(orders)
        counted["order_items"] += len(items)
        stored_orders = self._stored_orders(orders)  # id -> whether an A-to-z claim is stored for it
        # (an order stored with its claim is not written again: a report imported again rewrites no order's page)
        claimed = [order_id for order_id, known in stored_orders.items() if not known and orders[order_id][3]]
        if claimed:
            self._mark_claimed(claimed)
        unstored: set[str] = set()
        if stored_orders:
            candidates = [item_id for item_id, (rows, _) in items.items() if rows[0] in stored_orders]
            if candidates:
                unstored = set(self._unstored("order_items", candidates))
        buyers_staged, orders_staged, items_staged = batch["buyers"], batch["orders"], batch["order_items"]
        seller_id = self.seller_id
        for order_id, (rows, line, first, claim) in orders.items():
            if order_id not in stored_orders:
                buyer = buyer_row(rows)
                buyers_staged[buyer[0]] = (buyer, first)
                orders_staged[order_id] = (order_row(rows, seller_id, claim), line)
        for item_id, (rows, line) in items.items():
            if rows[0] not in stored_orders or item_id in unstored:
                items_staged[item_id] = (item_row(rows), line)

    def _mark_claimed(self, order_ids: list[str]) -> None:
        """Store an A-to-z claim on the stored orders `order_ids` (one driver-level statement per LOOKUP_CHUNK ids, bound
        as the lookups bind them)."""
        sqlite = self.dialect.name == "sqlite"
        statement = self._id_statement("claimed", f"UPDATE orders SET a_to_z_claim = {1 if sqlite else 'TRUE'} "
                                                  "WHERE id IN (SELECT ids.value FROM {ids})")
        self._by_chunks(statement, order_ids, (), fetch=False)

    def _stored(self, table: str, columns: tuple[str, ...], ids: list[str]) -> list[tuple]:
        """(id, *columns) of the rows of `table` among `ids`, values as the ORM reads them; one driver-level
        statement per LOOKUP_CHUNK ids, the ids bound as one JSON text (SQLite) or array (PostgreSQL)."""
        if self.dialect.name == "sqlite" and ids and self._after_stored(table, ids):
            return []
        key = (table, columns)
        if key not in self._lookups:
            quote = self.dialect.identifier_preparer.quote
            names = ", ".join(f"t.{quote(c)}" for c in ("id", *columns))
            # SQLite: joined to the ids, each id probes the primary key; `id IN (SELECT ...)` first builds a
            # temporary index of the ids (a quarter more time for orders, twice as much for order items).
            statement = (f"SELECT {names} FROM json_each(?) AS ids CROSS JOIN {quote(table)} AS t ON t.id = ids.value"
                         if self.dialect.name == "sqlite" else f"SELECT {names} FROM {quote(table)} AS t WHERE t.id = ANY(%s)")
            t = Base.metadata.tables[table]
            # Only money needs reading as the ORM reads it (SQLite returns a float); the other fixed values are text.
            self._lookups[key] = (statement,
                                  [(i, partial(t.c[c].type.process_result_value, dialect=self.dialect))
                                   for i, c in enumerate(columns, start=1) if isinstance(t.c[c].type, Money)])
        statement, processors = self._lookups[key]
        found = []
        for row in self._by_chunks(statement, ids, ()):
            if processors:
                row = list(row)
                for i, process in processors:
                    row[i] = process(row[i])
            found.append(tuple(row))
        return found

    def _greatest_id(self, table: str) -> str | None:
        """SQLite: the greatest id stored in `table` ("" for none; None if it is not text), read from the end of its
        primary key's index. SQLite compares text ids byte by byte (UTF-8), which orders them as Python does."""
        quote = self.dialect.identifier_preparer.quote
        found = self.session.connection().exec_driver_sql(f"SELECT max(id) FROM {quote(table)}").scalar()
        return "" if found is None else found if isinstance(found, str) else None

    def _same_fixed(self, table: str, old: tuple, new: tuple, line: int) -> None:
        columns = COLUMNS[table]
        for name, report_column in FIXED[self.fmt].get(table, {}).items():
            i = columns.index(name)
            if old[i] != new[i]:
                raise ImportFailed(self.path, line, f"{self.header.label(report_column)}: {_what(table)} {new[0]!r} is already "
                                                    f"in this import with {name} {old[i]!s}, here {new[i]!s}")

    def _check_stored(self, table: str, staged: dict[str, tuple[tuple, int]]) -> None:
        fixed = FIXED[self.fmt].get(table, {})
        columns = COLUMNS[table]
        positions = [columns.index(name) for name in fixed]
        stored = self._stored(table, tuple(fixed), list(staged))
        for found in stored:
            row, line = staged[found[0]]
            for (name, report_column), i, old in zip(fixed.items(), positions, found[1:]):
                new = row[i]
                if old != new:
                    raise ImportFailed(self.path, line, f"{self.header.label(report_column)}: {_what(table)} {row[0]!r} is "
                                                        f"already stored with {name} {old!s}; this report says {new!s}")
        if table == MAIN[self.fmt]:
            self.counts.stored += len(stored)
            self.counts.new += len(staged) - len(stored)

    def _write(self, table: str, items: list[tuple[tuple, int]]) -> None:
        statement = self._statements[table][0]
        width = self._widths[table]
        values = self._binders[table](items)  # every row's bound values, one row after another
        # The connection is asked for inside each savepoint: the session emits SAVEPOINT only then. SQLite
        # writes the batch without one, as store/importer.py does and for the same reason; the statement is an
        # upsert, so the retry below passes over the rows a failed batch left.
        try:
            if self.dialect.name == "sqlite":
                self._write_rows(table, values)
            else:
                with self.session.begin_nested():
                    self._write_many(table, values)
        except (IntegrityError, DataError):
            for start, (_, line) in zip(range(0, len(values), width), items):  # find the line the database refused
                try:
                    with self.session.begin_nested():
                        self.session.connection().exec_driver_sql(statement, [tuple(values[start:start + width])])
                except (IntegrityError, DataError) as exc:
                    raise ImportFailed(self.path, line, f"{_what(table)}: rejected by the database: "
                                                        f"{str(exc.orig).splitlines()[0]}") from None
            raise

    def _write_rows(self, table: str, values: list) -> None:
        """SQLite: the batch in statements of up to SQLITE_ROWS rows each (multi-row VALUES), of SQLITE_SHAPES' sizes,
        run on the driver's cursor (SQLAlchemy's execution around each statement cost a tenth of the inserts); its
        errors are raised as SQLAlchemy raises them."""
        statement = self._statements[table][0]
        width = self._widths[table]
        cursor = self.session.connection().connection.driver_connection.cursor()
        start, end = 0, len(values)
        try:
            for rows in SQLITE_SHAPES:
                rows = max(1, min(rows, SQLITE_PARAMETERS // width))
                step = rows * width
                if end - start < step:
                    continue
                shaped = self._rows_statement(table, statement, rows)
                while end - start >= step:
                    cursor.execute(shaped, tuple(values[start:start + step]))
                    start += step
        except sqlite3.Error as exc:
            raise DBAPIError.instance(shaped, None, exc, sqlite3.Error) from exc
        finally:
            cursor.close()

    def _rows_statement(self, table: str, statement: str, count: int) -> str:
        key = (table, count)
        found = self._multi.get(key)
        if found is None:
            # (the last ON CONFLICT: a literal before it, the seller's id, may hold any text; the head holds none)
            head, tail = statement.split(" VALUES ", 1)
            one, conflict = tail.rsplit(") ON CONFLICT ", 1)
            found = self._multi[key] = f"{head} VALUES {', '.join([one + ')'] * count)} ON CONFLICT {conflict}"
        return found

    def _write_many(self, table: str, values: list) -> None:
        """PostgreSQL: the batch in one statement, each column bound as one array and unnested. psycopg's
        executemany sends a statement per row, each parsed, planned and run (with its triggers) on its own."""
        if table not in self._multi:
            statement = self._statements[table][0]
            head, tail = statement.split(" VALUES ", 1)
            conflict = tail.split(") ON CONFLICT ", 1)[1]
            t = Base.metadata.tables[table]
            arrays = ", ".join(f"%s::{t.c[name].type.compile(dialect=self.dialect)}[]" for name in COLUMNS[table])
            self._multi[table] = f"{head} SELECT * FROM unnest({arrays}) ON CONFLICT {conflict}"
        width = len(COLUMNS[table])
        self.session.connection().exec_driver_sql(self._multi[table], tuple(values[i::width] for i in range(width)))

    def _statement(self, table: str) -> tuple[str, list]:
        """The driver-level upsert of `table` and the bind processors of its columns that have one."""
        quote = self.dialect.identifier_preparer.quote
        marker = "?" if self.dialect.paramstyle == "qmark" else "%s"
        names = COLUMNS[table]
        updates = UPDATES[self.fmt].get(table)
        if updates:
            sets = ", ".join(f"{quote(c)} = " + how.format(new=f"excluded.{quote(c)}", old=f"{quote(table)}.{quote(c)}")
                             for c, how in updates.items())
            conflict = f"ON CONFLICT (id) DO UPDATE SET {sets}"
        else:
            conflict = "ON CONFLICT (id) DO NOTHING"
        literals = self._literals.get(table, {})
        markers = ", ".join(_literal(literals[name]) if name in literals else marker for name in names)
        statement = f"INSERT INTO {quote(table)} ({', '.join(map(quote, names))}) VALUES ({markers}) {conflict}"
        t = Base.metadata.tables[table]
        types = [t.c[name].type.dialect_impl(self.dialect) for name in names]
        processors = [(i, p) for i, p in enumerate(ty.bind_processor(self.dialect) for ty in types) if p is not None]
        return statement, processors


def _literal(value: Any) -> str:
    """`value` as an SQLite literal: NULL, a quoted text, or a number (money is bound as a float on SQLite)."""
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, Decimal):
        return repr(float(value))
    raise StoreError(f"no SQLite literal for {value!r}")


def _binder(width: int, processors: list[tuple[int, Callable[[Any], Any]]],
            literals: list[tuple[int, Any]]) -> Callable[[list[tuple[tuple, int]]], list]:
    """A function binding staged (row, line) pairs into one flat list of driver values: the rows laid end to end,
    then each column with a bind processor replaced at once through a memo of the processor's results (a report
    repeats the same dates, amounts and flags on many lines), and the columns written as literals (`literals`:
    position, value) taken out."""
    written = dict(literals)
    columns = [(i, _Processed(process)) for i, process in processors if i not in written]
    # (position, row width before, value), from the last position
    dropped = [(i, width - n, written[i]) for n, i in enumerate(sorted(written, reverse=True))]

    def bind(items: list[tuple[tuple, int]]) -> list:
        values = [value for row, _ in items for value in row]
        for i, processed in columns:
            column = values[i::width]
            try:
                values[i::width] = list(map(processed.__getitem__, column))
            except TypeError:  # a JSON list: remembered by its items
                values[i::width] = list(map(processed.listed, column))
        for i, wide, value in dropped:
            if values[i::wide].count(value) != len(items):
                raise StoreError(f"a value other than {value!r} for a column written as that literal (position {i}): "
                                 "the writer's LITERALS are wrong")
            del values[i::wide]
        return values
    return bind


class _Processed(dict):
    """A bind processor's results by value (at most 100,000 remembered)."""

    __slots__ = ("process",)

    def __init__(self, process: Callable[[Any], Any]):
        super().__init__()
        self.process = process

    def __missing__(self, value: Any) -> Any:
        if len(self) >= 100_000:
            self.clear()
        found = self[value] = self.process(value)
        return found

    def listed(self, value: Any) -> Any:
        """The processed value of a list (of hashable items) or any other value."""
        if type(value) is not list:
            return self[value]
        try:
            key = (list, *value)
            return self[key] if key in self else self.setdefault(key, self.process(value))
        except TypeError:  # an item that cannot be a key
            return self.process(value)


_ESCAPED = bytes(range(0x20)) + b'"\\'  # what JSON text must escape


def _json_texts(texts: list[str]) -> str:
    """A JSON array of `texts`; joined as they are when none needs escaping (ids rarely do): a fifth of json.dumps' work."""
    joined = "".join(texts).encode(errors="replace")
    if len(joined.translate(None, _ESCAPED)) == len(joined):
        return '["' + '","'.join(texts) + '"]' if texts else "[]"
    return json.dumps(texts)


def _what(table: str) -> str:
    return {"buyers": "buyer", "products": "product", "orders": "order", "order_items": "order item", "shipments": "shipment",
            "return_requests": "return", "refunds": "refund", "claims": "SAFE-T claim"}[table]


def ensure_seller(session: Session, *, seller_id: str) -> bool:
    """Create the seller (named after its id) unless stored; True when it was created."""
    sellers = Base.metadata.tables["sellers"]
    if session.execute(select(sellers.c.id).where(sellers.c.id == seller_id)).first() is not None:
        return False
    session.execute(sellers.insert().values(id=seller_id, name=seller_id))
    return True

