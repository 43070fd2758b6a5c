"""Per-party CPU accounting for the webhook and worker benchmarks (Linux /proc): how many CPU seconds the bot
processes, the benchmark's client, its fake Bot API and the PostgreSQL backends serving the benchmark's database
spent during a timed phase, and how busy the whole machine was (what is left is other sessions' work).

The client and the fake Bot API share the benchmark's process: the client is its main thread (asyncio), the fake
Bot API its other threads (the HTTP server's)."""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Callable

TICK = os.sysconf("SC_CLK_TCK")


def _ticks(stat_path: str) -> int:
    """utime + stime of /proc/<pid>[/task/<tid>]/stat, in clock ticks (0 if it is gone)."""
    try:
        with open(stat_path) as f:
            fields = f.read().rpartition(")")[2].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # fields 14 and 15 of proc(5), counted after the command name


def process_seconds(pid: int) -> float:
    """CPU seconds a process spent (all its threads)."""
    return _ticks(f"/proc/{pid}/stat") / TICK


def thread_seconds(pid: int, *, main: bool) -> float:
    """CPU seconds of a process's main thread (`main`) or of all its other threads."""
    if main:
        return _ticks(f"/proc/{pid}/task/{pid}/stat") / TICK
    try:
        tids = [int(t) for t in os.listdir(f"/proc/{pid}/task") if int(t) != pid]
    except OSError:
        return 0.0
    return sum(_ticks(f"/proc/{pid}/task/{tid}/stat") for tid in tids) / TICK


def machine_ticks() -> tuple[int, int]:
    """(busy, total) clock ticks of all CPUs since boot (/proc/stat)."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])  # without guest time, which user time already counts
    return total - idle, total


def postgres_backends(admin_url: str, database: str) -> list[int]:
    """The pids of the PostgreSQL backends connected to `database` (as the admin connection sees them)."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as admin:
        return [pid for (pid,) in admin.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (database,))]


@dataclass
class Parties:
    """Named CPU-time counters (each a callable giving cumulative CPU seconds), sampled before and after a phase."""

    counters: dict[str, Callable[[], float]] = field(default_factory=dict)

    def add(self, name: str, seconds: Callable[[], float]) -> None:
        self.counters[name] = seconds

    def sample(self) -> dict[str, float]:
        busy, total = machine_ticks()
        figures = {name: seconds() for name, seconds in self.counters.items()}
        figures["_busy"], figures["_total"] = busy / TICK, total / TICK
        return figures


def usage(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """CPU seconds each party spent between two samples, plus "machine busy" and "others" (busy minus every party), and
    "cpus" (the CPU seconds the machine had: elapsed time times the CPU count)."""
    spent = {name: after[name] - before[name] for name in after if not name.startswith("_")}
    busy = after["_busy"] - before["_busy"]
    spent["machine busy"] = busy
    spent["others"] = busy - sum(v for k, v in spent.items() if k != "machine busy")
    spent["cpus"] = after["_total"] - before["_total"]
    return spent


def describe(spent: dict[str, float], updates: int) -> str:
    """One line: each party's CPU ms per update and its share of the machine's CPU time."""
    cpus = spent["cpus"] or 1.0
    parts = [f"{name} {spent[name] * 1000 / max(updates, 1):.2f} ms/update ({100 * spent[name] / cpus:.0f}%)"
             for name in spent if name != "cpus"]
    return "CPU: " + ", ".join(parts) + f"; idle {100 * (1 - spent['machine busy'] / cpus):.0f}%"


def ceiling(spent: dict[str, float], updates: int, *, without: tuple[str, ...] = ()) -> float:
    """Updates/s this machine's CPUs could carry at most if every party spent per update what it spent here (the
    parties' CPU per update summed, `without` those named): the bound on any number of bot processes."""
    parties = [name for name in spent if name not in ("machine busy", "others", "cpus", *without)]
    per_update = sum(spent[name] for name in parties) / max(updates, 1)
    return (os.cpu_count() or 1) / per_update if per_update else float("inf")


def bench_threads() -> tuple[Callable[[], float], Callable[[], float]]:
    """Counters for this process's main thread (the client) and its other threads (the fake Bot API's server)."""
    pid = os.getpid()
    assert threading.current_thread() is threading.main_thread()
    return (lambda: thread_seconds(pid, main=True)), (lambda: thread_seconds(pid, main=False))


def bench_parties(name: str, pids: list[int], *, database_url: str | None = None,
                  admin_url: str | None = None) -> Callable[[], Parties]:
    """A builder of a phase's counters: the bot processes `pids` under `name`, the client, the fake Bot API and, when
    `database_url` and `admin_url` are given, the PostgreSQL backends of that database (found when the phase starts)."""

    def build() -> Parties:
        parties = Parties()
        parties.add(name, lambda: sum(process_seconds(pid) for pid in pids))
        client, fake_api = bench_threads()
        parties.add("client", client)
        parties.add("fake API", fake_api)
        if database_url is not None and admin_url is not None:
            backends = postgres_backends(admin_url, database_url.rsplit("/", 1)[1])
            parties.add("postgres", lambda: sum(process_seconds(pid) for pid in backends))
        return parties

    return build
