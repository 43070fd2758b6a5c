"""Import of JSON Lines and CSV files into the store, in the caller's transaction (see docs/import.md).

Every record is validated; the first bad one stops the import with `PATH:LINE: message` and,
since the caller's transaction then rolls back, nothing of the import is written. References may
point at records anywhere in the same import or already in the database. A record whose id is
already stored is skipped when it is identical and is an error when it differs.
"""
from __future__ import annotations

import csv
import gc
import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from operator import itemgetter
from typing import Any, Callable, Iterable, Iterator

from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from .errors import ImportFailed, StoreError
from .records import CSV_NAMES, ITEMS_FIELD, ORDER, TYPES, Bad, RecordType, parse_fields
from .statistics import refresh_statistics

FLUSH_ROWS = 20_000
CHUNK = 5_000
LOOKUP_CHUNK = 2_000
JSONL_SUFFIXES = (".jsonl", ".ndjson")
SQLITE_IMPORT_CACHE_KIB = -262_144  # negative: KiB, i.e. up to 256 MiB of page cache while importing
SQLITE_IMPORT_MMAP_BYTES = 1 << 30  # the lookups of stored rows read the file's pages through a read-only map
_DECODE = json.JSONDecoder(parse_float=Decimal).decode


@dataclass
class ImportReport:
    """How many records of each type were new and how many were already stored unchanged."""

    new: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ORDER, 0))
    unchanged: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ORDER, 0))

    @property
    def total(self) -> int:
        """Records read."""
        return sum(self.new.values()) + sum(self.unchanged.values())

    def summary(self) -> str:
        """One line, e.g. `12 records: 10 new, 2 unchanged (seller 1, order 5, ...)`."""
        per_type = ", ".join(f"{name} {self.new[name] + self.unchanged[name]}" for name in ORDER
                             if self.new[name] + self.unchanged[name])
        return (f"{self.total} records: {sum(self.new.values())} new, {sum(self.unchanged.values())} unchanged"
                + (f" ({per_type})" if per_type else ""))


class Importer:
    """Collects validated rows and writes them parents first, in batches, once their references resolve."""

    def __init__(self, session: Session):
        self.session = session
        self.report = ImportReport()
        self.seen: dict[str, dict[str, tuple[str, int]]] = {name: {} for name in ORDER}
        self.stored: dict[str, set[str]] = {name: set() for name in ORDER}
        self.absent: dict[str, set[str]] = {name: set() for name in ORDER}
        self.pending: dict[str, list[tuple[dict, str, int]]] = {name: [] for name in ORDER}
        self.buffered = 0
        self.statements: dict[str, tuple[str, Callable, list[tuple[int, Callable]]]] = {}
        self.many: dict[str, str] = {}
        # A table empty before the import holds only what this import wrote: no need to look for old rows.
        self.was_empty = {name: session.execute(select(TYPES[name].table.c.id).limit(1)).first() is None for name in ORDER}

    def add(self, kind: RecordType, row: dict[str, Any], path: str, line: int) -> None:
        """Queue a validated row; a second record with the same id in one import is an error."""
        first = self.seen[kind.name].get(row["id"])
        if first is not None:
            raise ImportFailed(path, line, f"{kind.name} {row['id']!r} appears twice in this import (first at {first[0]}:{first[1]})")
        self.seen[kind.name][row["id"]] = (path, line)
        self.pending[kind.name].append((row, path, line))
        self.buffered += 1
        if self.buffered >= FLUSH_ROWS:
            self.flush(final=False)

    def flush(self, final: bool) -> None:
        """Write every queued row whose references resolve; with `final`, any other row is an error."""
        for name in ORDER:
            kind = TYPES[name]
            queued = self.pending[name]
            if not queued:
                continue
            self._look_up_references(kind, queued)
            ready, waiting = [], []
            for item in queued:
                (ready if all(item[0][f] in self.stored[t] for f, t in kind.refs) else waiting).append(item)
            if final and waiting:
                row, path, line = min(waiting, key=lambda item: (item[1], item[2]))
                f, target = next((f, t) for f, t in kind.refs if row[f] not in self.stored[t])
                raise ImportFailed(path, line, f"field '{f}' refers to {target} {row[f]!r}, which is neither in this import nor stored")
            self.pending[name] = waiting
            self._write(kind, ready)
        self.buffered = sum(len(rows) for rows in self.pending.values())

    def _look_up_references(self, kind: RecordType, queued: list[tuple[dict, str, int]]) -> None:
        for f, target in kind.refs:
            stored, absent, seen = self.stored[target], self.absent[target], self.seen[target]
            # Membership tests, not set differences: those would walk the (large) known sets on every flush.
            unknown = {row[f] for row, _, _ in queued if row[f] not in stored and row[f] not in absent and row[f] not in seen}
            if unknown:
                found = set(self._existing_ids(TYPES[target], unknown))
                self.stored[target] |= found
                self.absent[target] |= unknown - found

    def _existing_ids(self, kind: RecordType, ids: Iterable[str]) -> Iterator[str]:
        ids = list(ids)
        column = kind.table.c.id
        for start in range(0, len(ids), LOOKUP_CHUNK):
            yield from self.session.scalars(select(column).where(column.in_(ids[start:start + LOOKUP_CHUNK])))

    def _stored_rows(self, kind: RecordType, ids: list[str]) -> dict[str, Any]:
        columns = [kind.table.c[name] for name in kind.field_names]
        found = {}
        for start in range(0, len(ids), LOOKUP_CHUNK):
            query = select(*columns).where(kind.table.c.id.in_(ids[start:start + LOOKUP_CHUNK]))
            found.update((row.id, row) for row in self.session.execute(query))
        return found

    def _write(self, kind: RecordType, ready: list[tuple[dict, str, int]]) -> None:
        if not ready:
            return
        stored = {} if self.was_empty[kind.name] else self._stored_rows(kind, [row["id"] for row, _, _ in ready])
        new = []
        for item in ready:
            old = stored.get(item[0]["id"])
            if old is None:
                new.append(item)
            else:
                _same_or_fail(kind, old, *item)
        for start in range(0, len(new), CHUNK):
            self._insert(kind, new[start:start + CHUNK])
        self.stored[kind.name].update(row["id"] for row, _, _ in ready)
        self.report.new[kind.name] += len(new)
        self.report.unchanged[kind.name] += len(ready) - len(new)

    def _insert(self, kind: RecordType, chunk: list[tuple[dict, str, int]]) -> None:
        statement, getter, processors = self._statement(kind)
        rows = []
        for row, _, _ in chunk:
            values = list(getter(row))
            for index, process in processors:
                values[index] = process(values[index])
            rows.append(tuple(values))
        # The connection is asked for inside each savepoint: the session emits SAVEPOINT only then.
        sqlite = self.session.get_bind().dialect.name == "sqlite"
        try:
            # SQLite: no savepoint around the batch. Inside one, every row that fires a trigger (the monthly sales
            # summary's, on order items) first copies the pages it changes to a statement journal: five times the
            # cost of the row. A failed statement is undone alone, leaving the rows before it; the row-by-row retry
            # below passes over those to find the bad line, and the import then fails whole.
            if sqlite:
                self.session.connection().exec_driver_sql(statement, rows)
            else:
                with self.session.begin_nested():
                    self._insert_many(kind, rows)
        except (IntegrityError, DataError):
            retry = statement + " ON CONFLICT (id) DO NOTHING" if sqlite else statement  # passes over rows already in
            for values, (_, path, line) in zip(rows, chunk):  # find the row the database refused, to name its line
                try:
                    with self.session.begin_nested():
                        self.session.connection().exec_driver_sql(retry, [values])
                except (IntegrityError, DataError) as exc:
                    raise ImportFailed(path, line, f"rejected by the database: {str(exc.orig).splitlines()[0]}") from None
            raise

    def _insert_many(self, kind: RecordType, rows: list[tuple]) -> None:
        """PostgreSQL: the chunk in one INSERT, each column bound as one array and unnested. psycopg's executemany
        sends a statement per row, each parsed, planned and run (with the summary's statement triggers) on its own."""
        if kind.name not in self.many:
            dialect = self.session.get_bind().dialect
            quote = dialect.identifier_preparer.quote
            arrays = ", ".join(f"%s::{kind.table.c[name].type.compile(dialect=dialect)}[]" for name in kind.field_names)
            self.many[kind.name] = (f"INSERT INTO {quote(kind.table.name)} ({', '.join(map(quote, kind.field_names))}) "
                                    f"SELECT * FROM unnest({arrays})")
        self.session.connection().exec_driver_sql(self.many[kind.name], tuple(map(list, zip(*rows))))

    def _statement(self, kind: RecordType) -> tuple[str, Callable, list[tuple[int, Callable]]]:
        """A driver-level INSERT, a getter of its values and the bind processors of the columns that have one:
        executemany without per-row ORM or Core work."""
        if kind.name not in self.statements:
            dialect = self.session.get_bind().dialect
            quote = dialect.identifier_preparer.quote
            marker = "?" if dialect.paramstyle == "qmark" else "%s"
            names = kind.field_names
            statement = (f"INSERT INTO {quote(kind.table.name)} ({', '.join(map(quote, names))}) "
                         f"VALUES ({', '.join([marker] * len(names))})")
            # The dialect's own type (e.g. SQLite's DATETIME text format), exactly as Core would bind it.
            types = [kind.table.c[name].type.dialect_impl(dialect) for name in names]
            processors = [(i, p) for i, p in enumerate(t.bind_processor(dialect) for t in types) if p is not None]
            self.statements[kind.name] = (statement, itemgetter(*names), processors)
        return self.statements[kind.name]


def _same_or_fail(kind: RecordType, old: Any, row: dict, path: str, line: int) -> None:
    for name in kind.field_names:
        if old._mapping[name] != row[name]:
            raise ImportFailed(path, line, f"{kind.name} {row['id']!r} is already stored with a different {name} "
                                           f"({old._mapping[name]!r} stored, {row[name]!r} here)")


def _add_record(importer: Importer, record: Any, path: str, line: int) -> None:
    """Validate one JSON record (with a `type`) and queue its rows."""
    if type(record) is not dict:
        raise ImportFailed(path, line, f"a record must be a JSON object, got {type(record).__name__}")
    name = record.get("type")
    kind = TYPES.get(name) if type(name) is str else None
    if kind is None:
        if name is None:
            raise ImportFailed(path, line, "missing field 'type'")
        raise ImportFailed(path, line, f"unknown record type {name!r}; expected one of {', '.join(TYPES)}")
    extra = record.keys() - kind.allowed
    if extra:
        raise ImportFailed(path, line, f"unknown field '{sorted(extra)[0]}' in a {name} record")
    try:
        row = parse_fields(kind, record)
    except Bad as exc:
        raise ImportFailed(path, line, str(exc)) from None
    importer.add(kind, row, path, line)
    if name == "order" and record.get(ITEMS_FIELD) is not None:
        _add_items(importer, record[ITEMS_FIELD], row["id"], path, line)


def _add_items(importer: Importer, items: Any, order_id: str, path: str, line: int) -> None:
    kind = TYPES["order_item"]
    if type(items) is not list:
        raise ImportFailed(path, line, f"field '{ITEMS_FIELD}' must be a list of order items")
    allowed = frozenset(kind.field_names)
    for index, item in enumerate(items):
        where = f"{ITEMS_FIELD}[{index}]"
        if type(item) is not dict:
            raise ImportFailed(path, line, f"{where} must be an object")
        extra = item.keys() - allowed
        if extra:
            raise ImportFailed(path, line, f"{where}: unknown field '{sorted(extra)[0]}'")
        if item.get("order_id", order_id) != order_id:
            raise ImportFailed(path, line, f"{where}: order_id {item['order_id']!r} differs from the order's id {order_id!r}")
        try:
            row = parse_fields(kind, {**item, "order_id": order_id})
        except Bad as exc:
            raise ImportFailed(path, line, f"{where}: {exc}") from None
        importer.add(kind, row, path, line)


def _read_jsonl(importer: Importer, path: str) -> None:
    with open(path, "rb") as handle:
        for line, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                record = _DECODE(raw.decode())
            except UnicodeDecodeError:
                raise ImportFailed(path, line, "the line is not UTF-8 text") from None
            except ValueError as exc:
                raise ImportFailed(path, line, f"invalid JSON: {exc}") from None
            _add_record(importer, record, path, line)


def _read_csv(importer: Importer, path: str, kind: RecordType) -> None:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        try:
            header = next(reader, None)
            if header is None:
                raise ImportFailed(path, 1, f"empty file: expected a header row with {', '.join(kind.field_names)}")
            unknown = [name for name in header if name not in kind.field_names]
            if unknown:
                raise ImportFailed(path, 1, f"unknown column '{unknown[0]}' for {kind.name} records; "
                                            f"expected {', '.join(kind.field_names)}")
            missing = [f.name for f in kind.fields if f.required and f.name not in header]
            if missing:
                raise ImportFailed(path, 1, f"missing column '{missing[0]}'")
            if len(set(header)) != len(header):
                raise ImportFailed(path, 1, "a column appears twice in the header")
            for values in reader:
                line = reader.line_num
                if not any(values):
                    continue
                if len(values) != len(header):
                    raise ImportFailed(path, line, f"expected {len(header)} values, got {len(values)}")
                try:
                    row = parse_fields(kind, dict(zip(header, values)), text=True)
                except Bad as exc:
                    raise ImportFailed(path, line, str(exc)) from None
                importer.add(kind, row, path, line)
        except UnicodeDecodeError:
            raise ImportFailed(path, reader.line_num + 1, "the file is not UTF-8 text") from None
        except csv.Error as exc:
            raise ImportFailed(path, reader.line_num, f"invalid CSV: {exc}") from None


def _files(paths: Iterable[str]) -> Iterator[tuple[str, RecordType | None]]:
    """(file, CSV record type or None for JSON Lines) for each path; directories give their files."""
    for given in paths:
        path = Path(given)
        if path.is_dir():
            children = sorted(p for p in path.iterdir() if p.suffix in (".csv", *JSONL_SUFFIXES))
            if not children:
                raise StoreError(f"{given}: the directory has no .jsonl or .csv files")
            yield from _files(str(p) for p in children)
        elif not path.is_file():
            raise StoreError(f"{given}: no such file")
        elif path.suffix in JSONL_SUFFIXES:
            yield given, None
        elif path.suffix == ".csv":
            kind = CSV_NAMES.get(path.stem)
            if kind is None:
                raise ImportFailed(given, 1, f"cannot tell the record type from the file name: name a CSV file after its "
                                             f"type, one of {', '.join(name + '.csv' for name in CSV_NAMES)}")
            yield given, kind
        else:
            raise StoreError(f"{given}: import reads .jsonl (JSON Lines) and .csv files")


@contextmanager
def bulk_load(session: Session) -> Iterator[None]:
    """Settings for a large import, restored afterwards. The cyclic garbage collector is paused: the
    import's millions of long-lived ids would be traversed again and again, and its rows make no cycles.
    SQLite gets a larger page cache (index pages are revisited at random as the tables grow) and reads the
    stored pages the import looks up through a memory map (SQLite maps them read-only and writes through its
    cache as before; a page read from the map costs no read() call and no copy: the returns report's lookups
    read ~8,000 order and order-item pages)."""
    collecting = gc.isenabled()
    gc.disable()
    sqlite = session.get_bind().dialect.name == "sqlite"
    if sqlite:
        connection = session.connection()
        cache = connection.exec_driver_sql("PRAGMA cache_size").scalar()
        mapped = connection.exec_driver_sql("PRAGMA mmap_size").scalar()
        connection.exec_driver_sql(f"PRAGMA cache_size={SQLITE_IMPORT_CACHE_KIB}")
        connection.exec_driver_sql(f"PRAGMA mmap_size={SQLITE_IMPORT_MMAP_BYTES}")
    try:
        yield
    finally:
        if sqlite:
            connection.exec_driver_sql(f"PRAGMA cache_size={int(cache)}")
            if mapped is not None:  # None: this SQLite has no memory-mapped I/O
                connection.exec_driver_sql(f"PRAGMA mmap_size={int(mapped)}")
        if collecting:
            gc.enable()


def import_paths(session: Session, *, paths: Iterable[str]) -> ImportReport:
    """Import JSON Lines and CSV files (or directories of them) as one import; ImportFailed on a bad record."""
    with bulk_load(session):
        importer = Importer(session)
        for path, kind in _files(paths):
            if kind is None:
                _read_jsonl(importer, path)
            else:
                _read_csv(importer, path, kind)
        importer.flush(final=True)
    refresh_statistics(session, written=_written(importer.report))
    return importer.report


def import_records(session: Session, *, records: Iterable[dict[str, Any]], source: str = "<records>") -> ImportReport:
    """Import records given as JSON-like dicts (each with a `type`), numbered from 1 in error messages."""
    with bulk_load(session):
        importer = Importer(session)
        for line, record in enumerate(records, start=1):
            _add_record(importer, record, source, line)
        importer.flush(final=True)
    refresh_statistics(session, written=_written(importer.report))
    return importer.report


def _written(report: ImportReport) -> dict[str, int]:
    """New rows per table."""
    return {TYPES[name].table.name: count for name, count in report.new.items()}
