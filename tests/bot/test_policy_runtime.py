"""Live reload: by admin, file edit and SIGHUP; a bad edit keeps the last good policy; no decision is lost or mixed."""
from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from bot.policy_runtime import PolicyRuntime
from policy import DEFAULT_POLICY_PATH

from tests.rules.test_seed_examples import REFUND

DEFAULT_TEXT = Path(DEFAULT_POLICY_PATH).read_text()
PROBE = {**REFUND, "days_since_delivery": 20}  # inside a 30-day window, outside a 10-day one


def with_window(days: int, label: str = "2026.11-1") -> str:
    return DEFAULT_TEXT.replace("apparel: {window_days: 30}", f"apparel: {{window_days: {days}}}").replace(
        'version: "2026.11-1"', f'version: "{label}"')


@pytest.fixture
def policy_file(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text(with_window(30, "a"))
    return path


@pytest.fixture
def runtime(policy_file):
    rt = PolicyRuntime(str(policy_file))
    yield rt
    rt.stop()


def wait_for(condition, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_reload_of_an_unchanged_file_keeps_the_compiled_policy(runtime):
    compiled = runtime.live.current
    result = runtime.reload()
    assert (result.ok, result.changed) == (True, False)
    assert runtime.live.current is compiled and not compiled.closed


def test_a_good_edit_swaps_versions_and_frees_the_old_one(runtime, policy_file):
    old = runtime.live.current
    assert runtime.live.decide_refund(PROBE).outcome == "approve_return"
    policy_file.write_text(with_window(10, "b"))
    result = runtime.reload("admin")
    assert result.ok and result.changed and result.previous == old.version and result.version.startswith("b+")
    assert old.closed
    decision = runtime.live.decide_refund(PROBE)
    assert (decision.outcome, decision.policy_version) == ("deny", result.version)


@pytest.mark.parametrize("bad", ["version: [", "version: x\n", DEFAULT_TEXT.replace("min_vtr: 0.95", "min_vtr: -1"),
                                 "a: &x 1\nb: *x\n", "x: !!python/object/apply:os.system ['true']\n"])
def test_a_bad_edit_keeps_the_last_good_policy_serving(runtime, policy_file, bad):
    good = runtime.version
    heard = []
    runtime.add_listener(heard.append)
    policy_file.write_text(bad)
    result = runtime.reload("admin")
    assert not result.ok and result.errors and result.version == good
    assert all(e.startswith(f"{policy_file}:") for e in result.errors)
    assert heard == [result]
    assert runtime.live.decide_refund(PROBE).policy_version == good


def test_a_missing_file_keeps_the_policy(runtime, policy_file):
    policy_file.unlink()
    result = runtime.reload()
    assert not result.ok and "file-unreadable" in result.errors[0]
    assert runtime.live.decide_refund(PROBE).outcome == "approve_return"


def test_editing_the_file_reloads_it(runtime, policy_file):
    runtime.watch(interval=0.05)
    heard = []
    runtime.add_listener(heard.append)
    policy_file.write_text(with_window(10, "edited"))
    assert wait_for(lambda: runtime.version.startswith("edited+"))
    # The watcher thread tells its listeners after the swap, so the new version can be seen a moment before they hear.
    assert wait_for(lambda: heard and heard[-1].trigger == "file")


def test_sighup_reloads(runtime, policy_file):
    runtime.install_sighup(interval=30)  # polling effectively off: only the signal can reload
    previous = signal.getsignal(signal.SIGHUP)
    try:
        policy_file.write_text(with_window(10, "hup"))
        os.kill(os.getpid(), signal.SIGHUP)
        assert wait_for(lambda: runtime.version.startswith("hup+"))
    finally:
        signal.signal(signal.SIGHUP, signal.SIG_DFL if previous is None else previous)


def test_a_listener_that_fails_does_not_break_reloads(runtime, policy_file):
    runtime.add_listener(lambda result: 1 / 0)
    policy_file.write_text(with_window(10, "c"))
    assert runtime.reload().ok and runtime.version.startswith("c+")


def test_deciding_through_many_reloads_loses_nothing_and_never_mixes_versions(runtime, policy_file):
    """Four threads decide without pause while the policy flips between two versions 200 times."""
    expected_outcome: dict[str, str] = {}
    stop = threading.Event()
    results: list[list] = [[] for _ in range(4)]
    failures: list[BaseException] = []

    def decide(out: list) -> None:
        try:
            while not stop.is_set():
                d = runtime.live.decide_refund(PROBE)
                out.append((d.policy_version, d.outcome))
        except BaseException as exc:  # a lost decision
            failures.append(exc)

    threads = [threading.Thread(target=decide, args=(out,)) for out in results]
    for t in threads:
        t.start()
    versions = []
    for i in range(200):
        window, outcome = (10, "deny") if i % 2 == 0 else (30, "approve_return")
        policy_file.write_text(with_window(window, f"v{i}"))
        result = runtime.reload()
        assert result.ok and result.changed
        expected_outcome[result.version] = outcome
        versions.append(result.version)
    stop.set()
    for t in threads:
        t.join()
    assert not failures
    decisions = [d for out in results for d in out]
    assert len(decisions) > 1000
    initial = {v for v, _ in decisions} - set(expected_outcome)
    assert len(initial) <= 1  # only the version in force before the first reload is not in the table
    for version, outcome in decisions:
        if version in expected_outcome:
            assert outcome == expected_outcome[version], (version, outcome)
        else:
            assert outcome == "approve_return"  # the initial 30-day policy
    assert len({v for v, _ in decisions}) > 10  # the deciders really saw many versions
