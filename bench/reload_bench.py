"""Policy reload: how long a reload takes, and that memory stays flat over many of them.

In one run:
  - reload time through `PolicyRuntime.reload` for the default policy and for generated policies
    with 500 and 5,000 categories. The file is rewritten with a new comment before each reload,
    so every reload really reads, validates, compiles and swaps. p50/p99, then the same work
    done piece by piece: read+parse+validate (`load_policy_text`, and of that the YAML parse
    alone), compile (`compile_policy`), swap+free (`LivePolicy.swap`, which frees the old rulesets);
  - RSS over 1,000 reloads of the default policy while a second thread keeps deciding refunds
    (decisions made, failed, policy versions seen), then the same number of compilations with
    `close()` as a control, and, as the counterfactual, compilations whose old compiled policy is
    dropped without `close()` (its durable_rules rulesets are never freed).

Run: python bench/reload_bench.py [--runs 100] [--runs-5000 20] [--reloads 1000]
"""
from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.policy_runtime import PolicyRuntime  # noqa: E402
from policy import DEFAULT_POLICY_PATH, load_policy_text  # noqa: E402
from policy.yamlsafe import parse, read_text  # noqa: E402
from rules import compile_policy  # noqa: E402
from rules.live import LivePolicy  # noqa: E402

DEFAULT_TEXT = Path(DEFAULT_POLICY_PATH).read_text()
FACTS = dict(category="apparel", price=40, days_since_delivery=10, reason="no_longer_needed", condition="unopened", buyer_returns_90d=0)


def with_categories(n: int) -> str:
    """The default policy plus `n` generated categories with varied windows, fees and returnability."""
    lines = []
    for i in range(n):
        settings = [f"window_days: {(14, 30, 45, 60)[i % 4]}"]
        if i % 5 == 0:
            settings.append("returnable: false")
        if i % 7 == 0:
            settings.append("restocking_fee: {opened: 0.1, used: 0.4}")
        if i % 3 == 0:
            settings.append(f"label: generated category {i}")
        lines.append(f"    generated_{i:05d}: {{{', '.join(settings)}}}\n")
    return DEFAULT_TEXT.replace("  categories:\n", "  categories:\n" + "".join(lines), 1)


def rss_mb() -> float:
    """Current resident set size in MiB (not the peak)."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def p50_p99(seconds: list[float]) -> tuple[float, float]:
    """Median and 99th percentile in milliseconds."""
    ordered = sorted(seconds)
    return statistics.median(ordered) * 1000, ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000


def edit(path: Path, text: str, i: int) -> None:
    """Write `text` with a comment that makes it a new policy version."""
    path.write_text(f"{text}# reload {i}\n")


def runtime_reloads(path: Path, text: str, runs: int) -> list[float]:
    """Seconds per `PolicyRuntime.reload` of a changed file, as the runtime itself measures it."""
    path.write_text(text)
    runtime = PolicyRuntime(str(path))
    try:
        seconds = []
        for i in range(runs):
            edit(path, text, i)
            result = runtime.reload("admin")
            assert result.ok and result.changed, result.errors
            seconds.append(result.seconds)
        return seconds
    finally:
        runtime.stop()


def reload_pieces(path: Path, text: str, runs: int) -> dict[str, list[float]]:
    """Seconds per piece of a reload, done by hand: read+parse+validate, compile, swap+free; and the YAML parse alone."""
    live = LivePolicy(compile_policy(load_policy_text(text, str(path))))
    pieces: dict[str, list[float]] = {"load": [], "yaml": [], "compile": [], "swap": []}
    clock = time.perf_counter
    try:
        for i in range(runs):
            edit(path, text, i)
            t0 = clock()
            policy = load_policy_text(read_text(str(path)), str(path))
            t1 = clock()
            compiled = compile_policy(policy)
            t2 = clock()
            live.swap(compiled)
            t3 = clock()
            parse(read_text(str(path)), str(path))
            t4 = clock()
            for name, took in (("load", t1 - t0), ("compile", t2 - t1), ("swap", t3 - t2), ("yaml", t4 - t3)):
                pieces[name].append(took)
        return pieces
    finally:
        live.close()


class Decider(threading.Thread):
    """Decides the same refund request without pause until stopped; counts decisions, failures and versions."""

    def __init__(self, runtime: PolicyRuntime):
        super().__init__(name="decider", daemon=True)
        self.runtime = runtime
        self.stopping = threading.Event()
        self.decisions = 0
        self.failures: list[BaseException] = []
        self.versions: set[str] = set()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.versions.add(self.runtime.live.decide_refund(FACTS).policy_version)
                self.decisions += 1
            except Exception as exc:  # a lost decision: counted, never hidden
                self.failures.append(exc)


def rss_over(n: int, step: Callable[[int], None]) -> tuple[float, float, float]:
    """RSS in MiB before `n` calls of `step`, after 10 and after all of them."""
    gc.collect()
    before = after_10 = rss_mb()
    for i in range(n):
        step(i)
        if i == 9:
            gc.collect()
            after_10 = rss_mb()
    gc.collect()
    return before, after_10, rss_mb()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100, help="timed reloads of the default and 500-category policies (default 100)")
    parser.add_argument("--runs-5000", type=int, default=20, help="timed reloads of the 5,000-category policy (default 20)")
    parser.add_argument("--reloads", type=int, default=1000, help="reloads for the RSS check (default 1000)")
    args = parser.parse_args()

    policies = [("default (12 categories)", DEFAULT_TEXT, args.runs),
                ("500 categories", with_categories(500), args.runs),
                ("5,000 categories", with_categories(5000), args.runs_5000)]
    print(f"refundbot reload benchmark: Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    print(f"{'policy':24s} {'KiB':>6s} {'runs':>5s} {'reload p50':>11s} {'p99':>8s} | {'load p50':>9s} {'(yaml)':>8s} "
          f"{'compile':>8s} {'swap+free':>10s}  (ms)")
    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "policy.yaml"
        for name, text, runs in policies:
            reload_p50, reload_p99 = p50_p99(runtime_reloads(path, text, runs))
            pieces = {k: p50_p99(v)[0] for k, v in reload_pieces(path, text, runs).items()}
            figures[name] = (reload_p50, reload_p99, pieces)
            print(f"{name:24s} {len(text.encode()) / 1024:6.1f} {runs:5d} {reload_p50:11.2f} {reload_p99:8.2f} | "
                  f"{pieces['load']:9.2f} {pieces['yaml']:8.2f} {pieces['compile']:8.2f} {pieces['swap']:10.3f}")

        path.write_text(DEFAULT_TEXT)
        runtime = PolicyRuntime(str(path))
        decider = Decider(runtime)
        under_load: list[float] = []

        def reload(i: int) -> None:
            edit(path, DEFAULT_TEXT, i)
            result = runtime.reload("admin")
            assert result.ok and result.changed, result.errors
            under_load.append(result.seconds)

        decider.start()
        reloads_rss = rss_over(args.reloads, reload)
        decider.stopping.set()
        decider.join()
        runtime.stop()

    policy = load_policy_text(DEFAULT_TEXT, DEFAULT_POLICY_PATH)
    control_rss = rss_over(args.reloads, lambda i: compile_policy(policy).close())
    kept: list = [None]

    def drop_without_close(i: int) -> None:
        kept[0] = compile_policy(policy)  # the previous one is dropped, never closed

    leak_rss = rss_over(args.reloads, drop_without_close)

    n = f"{args.reloads:,}"
    p50, p99 = p50_p99(under_load)
    print(f"\nRSS (MiB) over {n} ...{'':34s} before  after 10  after {n}")
    for label, (before, after_10, after) in (
            ("runtime reloads, decisions running", reloads_rss),
            ("compilations, old one closed (control)", control_rss),
            ("compilations, old one dropped unclosed (counterfactual)", leak_rss)):
        print(f"  {label:55s} {before:7.1f} {after_10:8.1f} {after:8.1f}  ({after - after_10:+.1f} after the first 10)")
    print(f"reloads under decision load: p50 {p50:.2f} ms, p99 {p99:.2f} ms")
    print(f"decisions during the reloads: {decider.decisions:,} made, {len(decider.failures)} failed, "
          f"{len(decider.versions)} policy versions seen")

    default_p50 = figures["default (12 categories)"][0]
    growth = reloads_rss[2] - reloads_rss[1]
    checks = [
        (f"default policy reload p50 {default_p50:.2f} ms <= 50 ms", default_p50 <= 50),
        (f"RSS growth over reloads 10..{n}: {growth:+.1f} MiB <= 5 MiB", growth <= 5),
        ("no decision failed during the reloads", not decider.failures and decider.decisions > 0),
    ]
    for text, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
