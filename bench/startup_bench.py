"""CLI start-up: wall time of `refundbot` commands as ratios against `python -c pass` in the same run.

Each repeat runs every command once, in turn (interleaved), as a fresh process of the same
interpreter; min and median per command. Measured:
  - floor: `python -c pass`;
  - `refundbot --help` (target <= 4x the floor) and `refundbot policy check` on the default policy
    (target <= 8x);
  - `refundbot seller tier S2` on a demo SQLite database, against what it really needs: the
    wall time of a process that only imports the modules the command uses (policy, rules, the
    store, the configuration) plus the command's in-process time (`main()` called again in a
    warm process, min of several calls). Target: <= 1.5x that sum.

Run: python bench/startup_bench.py [--repeats 15] [--importtime]
(`--importtime` also prints the ten slowest imports of each command, from `python -X importtime`.)
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
NEEDED_BY_SELLER_TIER = "import policy, rules, store, bot.config, bot.records"
IN_PROCESS = """
import sys, time
from bot.cli import main
argv = sys.argv[1:]
main(argv)  # warm: the command's own lazy imports and first connections
best = min(((time.perf_counter(), main(argv), time.perf_counter()) for _ in range(5)), key=lambda t: t[2] - t[0])
print(best[2] - best[0], file=sys.stderr)
"""


def wall(argv: list[str], env: dict[str, str]) -> float:
    """Seconds one process takes from spawn to exit; fails loudly if the command fails."""
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    return elapsed


def in_process_seconds(argv: list[str], env: dict[str, str]) -> float:
    """The command's own time in a warm process (min of five calls after a warm-up)."""
    done = subprocess.run([PYTHON, "-c", IN_PROCESS, *argv], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, check=True)
    return float(done.stderr.decode().strip().splitlines()[-1])


def slowest_imports(argv: list[str], env: dict[str, str], count: int = 10) -> list[str]:
    """The `count` imports with the largest cumulative time, from `python -X importtime`."""
    command = argv[1:] if argv[0] == PYTHON else argv  # a console script is a Python file
    done = subprocess.run([PYTHON, "-X", "importtime", *command], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, check=True)
    rows = []
    for line in done.stderr.decode().splitlines():
        if line.startswith("import time:") and "|" in line and "cumulative" not in line:
            _, cumulative, name = line[len("import time:"):].split("|")
            rows.append((int(cumulative), name.rstrip()))
    return [f"{us / 1000:7.1f} ms {name}" for us, name in sorted(rows, reverse=True)[:count]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--importtime", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.yaml"
        config.write_text(f"policy: {ROOT / 'policy' / 'default.yaml'}\ndatabase:\n  url: sqlite:///{tmp}/var/demo.sqlite3\n")
        env = {**os.environ, "REFUNDBOT_CONFIG": str(config), "PYTHONDONTWRITEBYTECODE": "0"}
        script = Path(PYTHON).with_name("refundbot")  # the installed console script, as operators run it
        cli = [str(script)] if script.exists() else [PYTHON, "-c", "import sys; from bot.cli import main; sys.exit(main())"]
        wall(cli + ["demo"], env)
        commands = {
            "python -c pass": [PYTHON, "-c", "pass"],
            "refundbot --help": cli + ["--help"],
            "refundbot policy check": cli + ["policy", "check", str(ROOT / "policy" / "default.yaml")],
            "refundbot seller tier S2": cli + ["seller", "tier", "S2"],
            "imports seller tier needs": [PYTHON, "-c", NEEDED_BY_SELLER_TIER],
        }
        for argv in commands.values():  # warm the OS caches and .pyc files
            wall(argv, env)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.repeats):
            for name, argv in commands.items():
                times[name].append(wall(argv, env))
        in_process = in_process_seconds(["seller", "tier", "S2"], env)
        if args.importtime:
            for name in ("refundbot --help", "refundbot policy check", "refundbot seller tier S2"):
                print(f"slowest imports of {name}:")
                for row in slowest_imports(commands[name], env):
                    print("   ", row)

    floor_min, floor_median = min(times["python -c pass"]), statistics.median(times["python -c pass"])
    print(f"CLI start-up, {args.repeats} interleaved repeats, {PYTHON} {sys.version.split()[0]}")
    print(f"{'command':30} {'min ms':>8} {'median ms':>10} {'x floor (min)':>14} {'x floor (median)':>17}")
    for name, samples in times.items():
        low, mid = min(samples), statistics.median(samples)
        print(f"{name:30} {low * 1000:8.1f} {mid * 1000:10.1f} {low / floor_min:14.2f} {mid / floor_median:17.2f}")
    targets = {"refundbot --help": 4.0, "refundbot policy check": 8.0}
    for name, limit in targets.items():
        ratio = statistics.median(times[name]) / floor_median
        print(f"target {name} <= {limit}x python -c pass: {ratio:.2f}x (median) -> {'met' if ratio <= limit else 'NOT met'}")
    needed = min(times["imports seller tier needs"]) + in_process
    ratio = min(times["refundbot seller tier S2"]) / needed
    print(f"seller tier in-process (warm, min of 5): {in_process * 1000:.1f} ms; imports it needs: "
          f"{min(times['imports seller tier needs']) * 1000:.1f} ms")
    print(f"target seller tier <= 1.5x (in-process + needed imports): {ratio:.2f}x (min) -> {'met' if ratio <= 1.5 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
