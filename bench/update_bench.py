"""One chat update against an empty write transaction, through the same Store, on SQLite and PostgreSQL.

(a) the floor: an empty write transaction (`Store.write()`, its connection checked out and BEGIN
(IMMEDIATE on SQLite) then COMMIT issued, nothing written). (b) one update exactly as a worker of
`refundbot run` handles it: the receiver stores it in the inbox (not timed), then the worker's take
(its own committed lease transaction) and its handling transaction (processed mark, rate limit,
conversation load/save, the flow with its decision, outbox rows, inbox mark), with `WorkerPool.take`
and `WorkerPool.handle` and the real `OutboxDelivery`. The mix, per story: a buyer's refund
(`/refund` lists the orders, then three button presses: item, reason, condition, the last one
deciding), a seller's `/tier` (SQL aggregates and a decision) and `/help`. Each update is timed
right after its own floor, interleaved; `--rounds` stories per backend, backends alternating
round by round. Prints p50/p99/min of each kind and of (a), and the p50 ratio (b)/(a), per kind and
overall (the target of issue 13: <= 3x).

(c) a reference: the smallest durable write, one row inserted into a table of the bench's own and committed
through the same `Store.write()` (timed right after each (a)). An update commits durably (its inbox row, its
decision, its outbox), so (c)/(a) is the least an update's ratio can be on this disk, whatever the bot does.

(d) the floor of the statements themselves: every statement an update ran (as SQLAlchemy Core elements with
their parameters, captured by an `after_execute` listener), replayed on a twin store (the same URL kind, the same
engine settings, the same records, kept equal by replaying every update's statements in order) through
`Connection.execute` in one `Store.write()` per transaction of the update (durable or not as it was), rows
fetched, and nothing else.
(d)/(a) is how much of the 3x budget SQLAlchemy Core and the database take before any bot logic; each
replay is timed right after an empty write transaction on the twin, and the ratio is to that floor.

`--path webhook` times (b) as `refundbot run` handles a webhook's update instead: one worker stores it,
takes it and handles it in one transaction (`WorkerPool.store_and_handle`, the inbox insert timed too), and
the first plain text reply is queued as the webhook response's answer (bot/answers.py).

    python bench/update_bench.py --rounds 200 [--path webhook]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.store_bench import percentile, postgres_database  # noqa: E402
from bot.charts import drawn  # noqa: E402
from bot.config import LimitsConfig  # noqa: E402
from bot.delivery import OutboxDelivery  # noqa: E402
from bot.markup import plain  # noqa: E402
from bot.policy_runtime import PolicyRuntime  # noqa: E402
from bot.receiver import Receiver, chat_key, parse_update  # noqa: E402
from bot.wake import Fresh  # noqa: E402
from bot.service import ChatService  # noqa: E402
from bot.workers import WorkerPool  # noqa: E402
from policy import DEFAULT_POLICY_PATH  # noqa: E402
from store import import_records, link_identity, open_store  # noqa: E402
from store.db import _LAZY as LAZY_COMMIT  # noqa: E402
from tests.bot.conftest import marketplace_records  # noqa: E402

TARGET = 3.0
SELLER_CHAT = 900_000
FIRST_BUYER_CHAT = 1_000_000
ONE_ROW = text("INSERT INTO bench_durable_floor (n) VALUES (1)")
KINDS = ("/refund (orders listed)", "button: item", "button: reason", "button: condition (decision)", "/tier (decision)",
         "/help")


def records(now: datetime, buyers: int) -> list[dict]:
    """The tests' small marketplace plus `buyers` buyers, each with two delivered orders of seller S1."""
    out = marketplace_records(now)
    ago = lambda days: (now - timedelta(days=days)).isoformat()  # noqa: E731
    for n in range(buyers):
        out.append({"type": "buyer", "id": f"BB{n}", "name": f"Buyer {n}"})
        for k, (product, price, days) in enumerate((("P1", 80, 5), ("P2", 40, 9))):
            out.append({"type": "order", "id": f"OB{n}-{k}", "buyer_id": f"BB{n}", "seller_id": "S1", "fulfilment": "seller",
                        "placed_at": ago(days + 4), "shipped_at": ago(days + 3), "delivered_at": ago(days),
                        "items": [{"id": f"OB{n}-{k}-1", "product_id": product, "quantity": 1, "unit_price": price}]})
    return out


def watch(engine, spent: dict) -> None:
    """Count statements and time the driver's execute and commit calls into `spent`."""
    from sqlalchemy import event

    started: list[float] = []

    @event.listens_for(engine, "before_cursor_execute")
    def before(*_args):
        started.append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def after(*_args):
        spent["statements"] += 1
        spent["execute"] += time.perf_counter() - started.pop()

    dialect, commit = engine.dialect, engine.dialect.do_commit

    def timed_commit(connection):
        begun = time.perf_counter()
        try:
            commit(connection)
        finally:
            spent["commit"] += time.perf_counter() - begun

    dialect.do_commit = timed_commit


class Recording(OutboxDelivery):
    """The real outbox delivery, remembering the last replies so the next update can press their buttons."""

    last: list = []

    def enqueue(self, session, *, update_id, chat_id, replies, edit=None, **answering):
        self.last = replies
        return super().enqueue(session, update_id=update_id, chat_id=chat_id, replies=replies, edit=edit, **answering)


class Backend:
    """One store with the marketplace, a chat service and a worker pool (not started: the bench drives take/handle)."""

    def __init__(self, name: str, url: str, runtime: PolicyRuntime, buyers: int, path: str = "worker", twin_url: str = ""):
        self.name, self.path = name, path
        now = datetime.now(timezone.utc)
        self.store = self._opened(url, now, buyers)
        self.twin = Twin(self._opened(twin_url, now, buyers), self.store)
        self.service = ChatService(self.store, runtime, limits=LimitsConfig(messages_per_minute=100_000, max_text_length=4096))
        self.delivery = Recording(lambda queued: None, owner="bench:sender", lease=timedelta(minutes=5),
                                  answer_in_response=path == "webhook")
        self.pool = WorkerPool(self.store, self.service, self.delivery, threads=1, lease=timedelta(seconds=30),
                               bot_username=lambda: "bench_bot")
        self.receiver = Receiver(self.store)
        self.profiler = None  # set while a profile of the timed rounds is taken
        self.next_update = 1
        self.spent = {"statements": 0, "execute": 0.0, "commit": 0.0}  # running totals, for where an update's time goes
        self.parts: dict[str, list[tuple[int, float, float]]] = {k: [] for k in KINDS}
        watch(self.store.engine, self.spent)
        self.floor: list[float] = []
        self.durable: list[float] = []
        self.update: dict[str, list[float]] = {k: [] for k in KINDS}
        self.pairs: dict[str, list[float]] = {k: [] for k in KINDS}  # update / its own floor
        self.replayed: dict[str, list[tuple]] = {k: [] for k in KINDS}  # (d): Twin.replay's figures

    @staticmethod
    def _opened(url: str, now: datetime, buyers: int):
        store = open_store(url)
        with store.write() as session:
            session.execute(text("CREATE TABLE bench_durable_floor (n INTEGER NOT NULL)"))
        with store.write() as session:
            import_records(session, records=records(now, buyers), source="bench")
            link_identity(session, telegram_user_id=SELLER_CHAT, role="seller", account_id="S1", linked_at=now)
            for n in range(buyers):
                link_identity(session, telegram_user_id=FIRST_BUYER_CHAT + n, role="buyer", account_id=f"BB{n}", linked_at=now)
        return store

    def empty(self) -> float:
        started = time.perf_counter()
        with self.store.write() as session:
            session.connection()  # check out and BEGIN; nothing written
        return time.perf_counter() - started

    def one_row(self) -> float:
        started = time.perf_counter()
        with self.store.write() as session:
            session.execute(ONE_ROW)
        return time.perf_counter() - started

    def _body(self, user: int, *, text: str | None = None, button: str | None = None) -> str:
        uid, self.next_update = self.next_update, self.next_update + 1
        person = {"id": user, "is_bot": False, "first_name": "B", "language_code": "en"}
        chat = {"id": user, "type": "private"}
        if button is None:
            return json.dumps({"update_id": uid, "message": {"message_id": uid, "date": int(time.time()), "chat": chat,
                                                             "from": person, "text": text}})
        return json.dumps({"update_id": uid, "callback_query": {
            "id": f"cq{uid}", "chat_instance": "ci", "data": button, "from": person,
            "message": {"message_id": uid - 1, "date": int(time.time()), "chat": chat, "text": "..."}}})

    def one(self, kind: str | None, user: int, **what) -> None:
        """Store one update in the inbox, then time its floor and the worker's take + handle."""
        body = self._body(user, **what)
        update = parse_update(body)[1]
        if self.path == "worker":
            with self.twin.capturing():
                self.receiver.store_now([(update, body)])
            self.twin.replay()  # not timed, as the receiver is not: the twin must hold the same inbox row
        floor = self.empty()
        durable = self.one_row()
        before = dict(self.spent)
        self.twin.start()
        started = time.perf_counter()
        if self.path == "worker":
            taken = self.pool.take("bench:worker")
            self.pool.handle(taken)
        else:
            outcome = []
            self.pool.store_and_handle(Fresh(update.update_id, chat_key(update), body, datetime.now(timezone.utc), outcome.append),
                                       "bench:worker")
        spent = time.perf_counter() - started
        self.twin.stop()
        if self.profiler is not None:  # the profile is of the bot's handling, not of the replay
            self.profiler.disable()
        replayed = self.twin.replay(timed=kind is not None)
        if self.profiler is not None:
            self.profiler.enable()
        if self.path != "worker":
            assert outcome == ["handled"], outcome
        if kind is not None:
            self.floor.append(floor)
            self.durable.append(durable)
            self.update[kind].append(spent)
            self.pairs[kind].append(spent / floor)
            self.parts[kind].append((self.spent["statements"] - before["statements"], self.spent["execute"] - before["execute"],
                                     self.spent["commit"] - before["commit"]))
            self.replayed[kind].append(replayed)

    def press(self, kind: str | None, user: int, label: str) -> None:
        buttons = [b for r in self.delivery.last for b in r.flat_buttons() if label.casefold() in b.text.casefold()]
        assert len(buttons) == 1, (label, [b.text for r in self.delivery.last for b in r.flat_buttons()])
        self.one(kind, user, button=buttons[0].data)

    def story(self, n: int, timed: bool = True) -> None:
        """A buyer's refund from the first message to the decision, then the seller's /tier and /help."""
        k = (lambda kind: kind) if timed else (lambda kind: None)
        user = FIRST_BUYER_CHAT + n
        self.one(k(KINDS[0]), user, text="/refund")
        self.press(k(KINDS[1]), user, "Trail Sleeping Bag")
        self.press(k(KINDS[2]), user, "faulty")
        self.press(k(KINDS[3]), user, "Opened, unused")
        assert "Refund: $80.00" in plain(self.delivery.last[0].text), self.delivery.last[0].text
        self.one(k(KINDS[4]), SELLER_CHAT, text="/tier")
        assert "reward tier" in plain(self.delivery.last[0].text), self.delivery.last[0].text
        self.one(k(KINDS[5]), SELLER_CHAT, text="/help")

    def dump(self, path: str) -> None:
        """Write what the updates left behind, ids and times taken out: the decision log and every outbox message,
        in order (a run of the code before a change and one after must write the same file)."""
        from sqlalchemy import select

        from store.models import Decision, OutboxMessage

        ids = re.compile(r"\b(D|RF|RR|M|C|CL|E)-[0-9A-Z]{6,}\b|\"[0-9A-Za-z_-]{6}(?=:[0-9]+\")")  # ids; a prompt's button nonce
        with self.store.read() as session, open(path, "w") as out:
            for d in session.scalars(select(Decision).order_by(Decision.decided_at, Decision.kind)):
                row = {c: getattr(d, c) for c in ("kind", "outcome", "reason", "rule", "policy_version", "explanation", "facts",
                                                  "result", "channel", "refund_amount", "fee", "buyer_id", "seller_id",
                                                  "order_item_id")}
                row["refund"] = d.refund_id is not None
                out.write(ids.sub(lambda m: f"{m[1]}-?" if m[1] else '"?', json.dumps(row, sort_keys=True, default=str)) + "\n")
            for m in session.scalars(select(OutboxMessage).order_by(OutboxMessage.next_attempt_at, OutboxMessage.dedupe_key)):
                row = {c: getattr(m, c) for c in ("dedupe_key", "chat_id", "text", "parse_mode", "reply_markup", "photo",
                                                  "edit_message_id", "file_name", "file_kind", "menu", "status")}
                row["file_bytes"] = len(drawn(m.file_content)) if m.file_content else 0  # a chart as the sender draws it
                out.write(ids.sub(lambda m: f"{m[1]}-?" if m[1] else '"?', json.dumps(row, sort_keys=True, default=str)) + "\n")

    def close(self) -> None:
        self.store.close()
        self.twin.store.close()


class Twin:
    """A store kept equal to the bench's by replaying, in order, every statement the bench's store ran while
    capturing: SQLAlchemy Core elements with their parameters, through `Connection.execute`, one write
    transaction per captured transaction (the floor (d) of an update's statements)."""

    def __init__(self, store, watched) -> None:
        self.store, self.watched = store, watched
        self.spent = {"statements": 0, "execute": 0.0, "commit": 0.0}
        watch(store.engine, self.spent)
        self.captured: list[list] = [[]]  # transactions, each [(element, parameters)], the last one open
        self.lazy: dict[int, bool] = {}  # captured transaction -> committed without waiting for the disk

    def _executed(self, _connection, element, multiparams, params, options, _result) -> None:
        self.captured[-1].append((element, multiparams or params))
        self.lazy[len(self.captured) - 1] = bool(options.get(LAZY_COMMIT))  # Store.write(durable=False)

    def _committed(self, _connection) -> None:
        self.captured.append([])

    def start(self) -> None:
        """Capture from now on (the listeners are there only while capturing, outside the timed part's setup)."""
        from sqlalchemy import event

        self.captured, self.lazy = [[]], {}
        event.listen(self.watched.engine, "after_execute", self._executed)
        event.listen(self.watched.engine, "commit", self._committed)

    def stop(self) -> None:
        from sqlalchemy import event

        event.remove(self.watched.engine, "after_execute", self._executed)
        event.remove(self.watched.engine, "commit", self._committed)

    def capturing(self):
        from contextlib import contextmanager

        @contextmanager
        def scope():
            self.start()
            try:
                yield
            finally:
                self.stop()
        return scope()

    def empty(self) -> float:
        started = time.perf_counter()
        with self.store.write() as session:
            session.connection()
        return time.perf_counter() - started

    def replay(self, timed: bool = False) -> tuple[int, float, float, float, float]:
        """Run the captured transactions on the twin; (statements, seconds, the twin's empty write transaction
        timed just before, seconds executing, seconds committing)."""
        transactions = [(t, self.lazy.get(i, False)) for i, t in enumerate(self.captured) if t]
        floor = self.empty() if timed else 0.0
        before = dict(self.spent)
        started = time.perf_counter()
        for statements, lazy in transactions:
            with self.store.write(durable=not lazy) as session:
                connection = session.connection()
                for element, parameters in statements:
                    result = connection.execute(element, parameters)
                    if result.returns_rows:
                        result.all()
        spent = time.perf_counter() - started
        self.captured = [[]]
        return (sum(len(t) for t, _lazy in transactions), spent, floor, self.spent["execute"] - before["execute"],
                self.spent["commit"] - before["commit"])


def summary(values: list[float]) -> tuple[float, float, float]:
    """p50, p99 and min, in ms."""
    return percentile(values, 50) * 1000, percentile(values, 99) * 1000, min(values) * 1000


def report(backend: Backend) -> bool:
    """Print one backend's table; True if the overall p50 ratio meets the target."""
    f50, f99, fmin = summary(backend.floor)
    everything = [v for values in backend.update.values() for v in values]
    print(f"\n{backend.name}: (a) empty write transaction p50 {f50:.3f} ms, p99 {f99:.3f} ms, min {fmin:.3f} ms "
          f"({len(backend.floor)} samples)")
    print("| kind | (b) p50 ms | p99 ms | min ms | p50 (b)/(a) | min (b)/min (a) | median of paired ratios |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for kind in KINDS + ("overall",):
        values = everything if kind == "overall" else backend.update[kind]
        pairs = [r for v in backend.pairs.values() for r in v] if kind == "overall" else backend.pairs[kind]
        p50, p99, low = summary(values)
        print(f"| {kind} | {p50:.3f} | {p99:.3f} | {low:.3f} | {p50 / f50:.2f}x | {low / fmin:.2f}x | "
              f"{statistics.median(pairs):.2f}x |")
    print(f"\n{backend.name}: where an update's time goes (medians; statements include BEGIN, the commits are the driver's)")
    print("| kind | statements | executing ms | committing ms | the rest (Python) ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for kind in KINDS:
        parts, totals = backend.parts[kind], backend.update[kind]
        rest = [t - e - c for t, (_n, e, c) in zip(totals, parts)]
        print(f"| {kind} | {statistics.median(n for n, _e, _c in parts):.0f} | {statistics.median(e for _n, e, _c in parts) * 1000:.3f} | "
              f"{statistics.median(c for _n, _e, c in parts) * 1000:.3f} | {statistics.median(rest) * 1000:.3f} |")
    d50, _d99, dmin = summary(backend.durable)
    print(f"{backend.name}: (c) the smallest durable write (one row inserted and committed) p50 {d50:.3f} ms = {d50 / f50:.2f}x "
          f"the empty write transaction (min {dmin / fmin:.2f}x): the least an update's ratio can be")
    replays = [r for values in backend.replayed.values() for r in values]
    print(f"{backend.name}: (d) the floor of the statements: each update's statements replayed through SQLAlchemy Core on a "
          f"twin store (p50 ms; ratio to the twin's empty write transaction p50 "
          f"{statistics.median(r[2] for r in replays) * 1000:.3f} ms; executing, committing and the rest are medians)")
    print("| kind | statements | (d) p50 ms | (d)/(a) | (b)/(d) | executing ms | committing ms | the rest (SQLAlchemy) ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for kind in KINDS + ("overall",):
        values = replays if kind == "overall" else backend.replayed[kind]
        mine = everything if kind == "overall" else backend.update[kind]
        d50 = percentile([r[1] for r in values], 50)
        print(f"| {kind} | {statistics.median(r[0] for r in values):.0f} | {d50 * 1000:.3f} | "
              f"{d50 / statistics.median(r[2] for r in values):.2f}x | {percentile(mine, 50) / d50:.2f}x | "
              f"{statistics.median(r[3] for r in values) * 1000:.3f} | {statistics.median(r[4] for r in values) * 1000:.3f} | "
              f"{statistics.median(r[1] - r[3] - r[4] for r in values) * 1000:.3f} |")
    p50 = percentile(everything, 50) * 1000
    ok = p50 / f50 <= TARGET
    print(f"{backend.name}: one update p50 {p50:.3f} ms = {p50 / f50:.2f}x the empty write transaction "
          f"(target <= {TARGET:.0f}x) {'met' if ok else 'NOT MET'}")
    return ok


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200, help="timed stories per backend (6 updates each)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed stories per backend first")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=os.environ.get("REFUNDBOT_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of the timed rounds of the first backend")
    parser.add_argument("--dump", metavar="PREFIX", help="write each backend's decision log and outbox to PREFIX-BACKEND.jsonl")
    parser.add_argument("--path", choices=["worker", "webhook"], default="worker",
                        help="worker: the receiver stores, a worker takes, then handles (two commits); "
                             "webhook: a worker stores, takes and handles in one transaction")
    args = parser.parse_args(argv)
    runtime = PolicyRuntime(str(DEFAULT_POLICY_PATH))
    buyers = args.rounds + args.warmup
    with ExitStack() as stack:
        backends = []
        for name in args.backends.split(","):
            if name == "sqlite":
                folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="rb-update-"))
                url, twin = f"sqlite:///{folder}/bench.sqlite3", f"sqlite:///{folder}/twin.sqlite3"
            else:
                url, twin = stack.enter_context(postgres_database(args.pg_url)), stack.enter_context(postgres_database(args.pg_url))
            backends.append(stack.enter_context(_closing(Backend(name, url, runtime, buyers, args.path, twin))))
        print(f"{len(backends)} backend(s) ready; {args.warmup} warm-up and {args.rounds} timed stories each; path {args.path}", flush=True)
        for n in range(args.warmup):
            for backend in backends:
                backend.story(n, timed=False)
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
        for n in range(args.warmup, buyers):
            for i, backend in enumerate(backends):  # interleaved: every backend runs each round
                if profiler is not None and i == 0:
                    backend.profiler = profiler
                    profiler.enable()
                backend.story(n)
                if profiler is not None and i == 0:
                    profiler.disable()
                    backend.profiler = None
        if profiler is not None:
            profiler.dump_stats(args.profile)
        for backend in backends:
            report(backend)
            if args.dump:
                backend.dump(f"{args.dump}-{backend.name}.jsonl")
    runtime.stop()
    return 0


class _closing:
    def __init__(self, backend: Backend):
        self.backend = backend

    def __enter__(self) -> Backend:
        return self.backend

    def __exit__(self, *exc) -> None:
        self.backend.close()


if __name__ == "__main__":
    sys.exit(main())
