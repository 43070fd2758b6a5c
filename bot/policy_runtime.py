"""The running policy: loaded and compiled at start-up, reloaded on /reload, on file edits and on SIGHUP.

A reload validates and compiles the new file beside the version in force, then swaps in one
step (rules.live.LivePolicy). A bad file never replaces the last good version: the errors go to
the log and to every listener (the bot tells its admins).
"""
from __future__ import annotations

import logging
import os
import signal
import threading
import time
from dataclasses import dataclass
from typing import Callable

from policy import PolicyErrors, load_policy, load_policy_text
from policy.errors import printable
from policy.semantics import content_hash_of
from policy.yamlsafe import read_text
from rules import EngineError, compile_policy
from rules.live import LivePolicy

log = logging.getLogger("refundbot.policy")


@dataclass(frozen=True)
class ReloadResult:
    """What one reload attempt did."""

    trigger: str  # admin, file, signal
    ok: bool
    changed: bool
    version: str  # in force after the attempt
    previous: str
    errors: tuple[str, ...]
    seconds: float

    def summary(self) -> str:
        """One line for logs and chat replies."""
        if not self.ok:
            return f"policy reload ({self.trigger}) failed with {len(self.errors)} error(s); still serving {self.version}"
        if not self.changed:
            return f"policy reload ({self.trigger}): unchanged, serving {self.version}"
        return f"policy reload ({self.trigger}): {self.previous} -> {self.version} in {self.seconds * 1000:.0f} ms"


class PolicyRuntime:
    """Owns the policy file and the LivePolicy that decisions use."""

    def __init__(self, path: str):
        self.path = path
        self.live = LivePolicy(compile_policy(load_policy(path)))  # start-up: a bad file raises PolicyErrors
        self._reload_lock = threading.Lock()
        self._listeners: list[Callable[[ReloadResult], None]] = []
        self._wake = threading.Event()
        self._signalled = False
        self._stopping = False
        self._watcher: threading.Thread | None = None
        self._fingerprint = _fingerprint(path)

    @property
    def version(self) -> str:
        """The policy version in force."""
        return self.live.version

    def add_listener(self, listener: Callable[[ReloadResult], None]) -> None:
        """Call `listener` with the result of every reload attempt."""
        self._listeners.append(listener)

    def reload(self, trigger: str = "admin") -> ReloadResult:
        """Load, validate and compile the file; swap it in if it is good and new. Never raises: a failure keeps the old policy."""
        with self._reload_lock:
            started = time.perf_counter()
            previous = self.live.version
            errors: tuple[str, ...] = ()
            changed = False
            try:
                text = read_text(self.path)
                if content_hash_of(text) != self.live.current.policy.content_hash:
                    compiled = compile_policy(load_policy_text(text, self.path))
                    self.live.swap(compiled)
                    changed = True
            except PolicyErrors as exc:
                errors = tuple(str(e) for e in exc.errors)
            except EngineError as exc:
                errors = (printable(f"{self.path}:1:1: compile: {exc}"),)
            except Exception as exc:  # a loader bug must not take the bot (or the watcher thread) down
                log.exception("policy reload crashed")
                errors = (printable(f"{self.path}:1:1: internal: the policy could not be loaded ({type(exc).__name__}); "
                                    "the previous version stays in force"),)
            result = ReloadResult(trigger, not errors, changed, self.live.version, previous, errors,
                                  time.perf_counter() - started)
        if errors:
            log.error(result.summary())
            for line in errors:
                log.error("  %s", line)
        else:
            log.info(result.summary())
        for listener in list(self._listeners):
            try:
                listener(result)
            except Exception:  # a failing listener must not undo or hide a reload
                log.exception("policy reload listener failed")
        return result

    def watch(self, interval: float = 1.0) -> None:
        """Poll the file in a daemon thread and reload when it changes (and when SIGHUP arrives)."""
        if self._watcher is None:
            self._watcher = threading.Thread(target=self._watch, args=(interval,), name="policy-watch", daemon=True)
            self._watcher.start()

    def install_sighup(self, interval: float = 1.0) -> None:
        """Reload on SIGHUP (the handler only wakes the watcher thread). Call from the main thread."""
        def on_sighup(signum, frame):
            self._signalled = True
            self._wake.set()
        signal.signal(signal.SIGHUP, on_sighup)
        self.watch(interval)

    def stop(self) -> None:
        """Stop watching and free the compiled policy."""
        self._stopping = True
        self._wake.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
        self.live.close()

    def _watch(self, interval: float) -> None:
        while not self._stopping:
            self._wake.wait(interval)
            self._wake.clear()
            if self._stopping:
                return
            try:
                self._check_once(interval)
            except Exception:  # the watcher outlives any one bad check, so later edits are still picked up
                log.exception("policy watcher check failed")

    def _check_once(self, interval: float) -> None:
        if self._signalled:
            self._signalled = False
            self._fingerprint = _fingerprint(self.path)
            self.reload("signal")
            return
        seen = _fingerprint(self.path)
        if seen is None or seen == self._fingerprint:
            return  # missing (an editor mid-save) or unchanged
        time.sleep(min(0.2, interval))  # let the writer finish before reading
        self._fingerprint = _fingerprint(self.path)
        self.reload("file")


def _fingerprint(path: str) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)
