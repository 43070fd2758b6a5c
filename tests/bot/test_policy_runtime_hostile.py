"""A hostile policy file never stops reloads: no exception escapes a reload, the watcher survives, and a path that is not a regular file is refused at once."""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

import bot.policy_runtime as policy_runtime
from bot.policy_runtime import PolicyRuntime

from .test_policy_runtime import PROBE, policy_file, runtime, wait_for, with_window  # noqa: F401 (fixtures)

HUGE_HEX = "0x" + "f" * 5000  # int() reads it; str() of it raises ValueError (over 4,300 digits)


def reload_within(runtime: PolicyRuntime, seconds: float = 5.0):
    """The result of runtime.reload(), failing (instead of hanging the suite) if it takes longer than `seconds`."""
    box: list = []
    thread = threading.Thread(target=lambda: box.append(runtime.reload("admin")), daemon=True)
    thread.start()
    thread.join(seconds)
    assert box, f"reload blocked for more than {seconds} s"
    return box[0]


def test_a_number_python_cannot_print_is_an_error_not_a_crash(runtime, policy_file):
    good = runtime.version
    policy_file.write_text(with_window(30, "b").replace("apparel: {window_days: 30}", f"apparel: {{window_days: {HUGE_HEX}}}"))
    result = runtime.reload()
    assert (result.ok, result.version) == (False, good)
    assert "yaml-value" in result.errors[0] and "too large" in result.errors[0]


def test_an_unexpected_exception_in_a_reload_is_reported_and_the_old_policy_stays(runtime, policy_file, monkeypatch):
    def explode(*args, **kwargs):
        raise ValueError("Exceeds the limit (4300 digits) for integer string conversion")

    monkeypatch.setattr(policy_runtime, "load_policy_text", explode)
    good = runtime.version
    heard = []
    runtime.add_listener(heard.append)
    policy_file.write_text(with_window(10, "b"))
    result = runtime.reload()
    assert (result.ok, result.changed, result.version) == (False, False, good)
    assert result.errors == (f"{policy_file}:1:1: internal: the policy could not be loaded (ValueError); "
                             "the previous version stays in force",)
    assert heard == [result]
    assert runtime.live.decide_refund(PROBE).policy_version == good


def test_the_watcher_survives_a_crashing_reload_and_picks_up_the_next_edit(runtime, policy_file, monkeypatch):
    calls = []
    real = policy_runtime.load_policy_text

    def crash_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("loader bug")
        return real(*args, **kwargs)

    monkeypatch.setattr(policy_runtime, "load_policy_text", crash_once)
    heard = []
    runtime.add_listener(heard.append)
    runtime.watch(interval=0.05)
    policy_file.write_text(with_window(10, "crash"))
    assert wait_for(lambda: heard and not heard[-1].ok)
    policy_file.write_text(with_window(10, "after"))
    assert wait_for(lambda: runtime.version.startswith("after+"))
    assert runtime._watcher is not None and runtime._watcher.is_alive()


def test_the_watcher_survives_a_failing_file_check(runtime, policy_file, monkeypatch):
    real = policy_runtime._fingerprint
    failures = []

    def flaky(path):
        if not failures:
            failures.append(1)
            raise OSError("stat failed")
        return real(path)

    monkeypatch.setattr(policy_runtime, "_fingerprint", flaky)
    runtime.watch(interval=0.05)
    assert wait_for(lambda: failures)
    policy_file.write_text(with_window(10, "later"))
    assert wait_for(lambda: runtime.version.startswith("later+"))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_in_place_of_the_file_is_refused_at_once_and_the_lock_is_released(runtime, policy_file):
    good = runtime.version
    policy_file.unlink()
    os.mkfifo(policy_file)  # no writer: a plain open() would block forever
    result = reload_within(runtime)
    assert (result.ok, result.version) == (False, good)
    assert result.errors == (f"{policy_file}:1:1: not-a-file: the path is a FIFO (named pipe), not a regular file",)
    policy_file.unlink()
    policy_file.write_text(with_window(10, "back"))
    assert reload_within(runtime).version.startswith("back+")  # the reload lock was released


@pytest.mark.parametrize("target, kind", [("/dev/zero", "a character device"), ("/dev/null", "a character device"), ("DIR", "a directory")])
def test_a_device_or_directory_in_place_of_the_file_is_refused(runtime, policy_file, tmp_path, target, kind):
    if target == "DIR":
        target = str(tmp_path / "a-directory")
        os.mkdir(target)
    if not os.path.exists(target):
        pytest.skip(f"{target} does not exist here")
    policy_file.unlink()
    os.symlink(target, policy_file)
    result = reload_within(runtime)
    assert not result.ok and result.errors == (f"{policy_file}:1:1: not-a-file: the path is {kind}, not a regular file",)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_the_watcher_does_not_hang_on_a_fifo(runtime, policy_file):
    heard = []
    runtime.add_listener(heard.append)
    runtime.watch(interval=0.05)
    policy_file.unlink()
    os.mkfifo(policy_file)
    assert wait_for(lambda: heard and "not-a-file" in heard[-1].errors[0])
    policy_file.unlink()
    Path(policy_file).write_text(with_window(10, "fine"))
    assert wait_for(lambda: runtime.version.startswith("fine+"))
