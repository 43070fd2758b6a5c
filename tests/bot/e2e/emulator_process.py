"""Starts and stops the telegram-test-api emulator (emulator/launcher.js) as a child process."""
from __future__ import annotations

import os
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

EMULATOR_DIR = Path(__file__).parent / "emulator"
LAUNCHER = EMULATOR_DIR / "launcher.js"
PACKAGE = EMULATOR_DIR / "node_modules" / "telegram-test-api" / "package.json"
INSTALL_HINT = (
    "run `make test` (scripts/ensure-test-services installs it), "
    "or `npm ci --prefix tests/bot/e2e/emulator`"
)


class EmulatorError(RuntimeError):
    """The emulator is not installed, did not start, or died."""


@dataclass
class EmulatorProcess:
    """A running launcher.js and where its Bot API answers."""

    api_url: str
    process: subprocess.Popen[bytes]
    stderr_file: IO[bytes]

    def stderr(self) -> str:
        """Everything the emulator has written to stderr so far."""
        return os.pread(self.stderr_file.fileno(), 1 << 20, 0).decode(errors="replace")

    def check_alive(self) -> None:
        """Raise EmulatorError if the emulator has exited."""
        if self.process.poll() is not None:
            raise EmulatorError(
                f"the Telegram emulator exited with code {self.process.returncode}; "
                f"stderr:\n{self.stderr()}"
            )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _check_installed() -> str:
    node = shutil.which("node")
    if node is None:
        raise EmulatorError(
            "node is not on PATH: the Telegram emulator needs Node.js 18+ and npm; install them, "
            "then run `make test`, which installs the emulator's npm package"
        )
    if not PACKAGE.is_file():
        raise EmulatorError(f"the Telegram emulator's npm package is not installed; {INSTALL_HINT}")
    return node


def _wait_ready(proc: subprocess.Popen[bytes], timeout: float) -> str | None:
    """The URL from launcher.js's READY line, or None if it exited or the time ran out."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    out = b""
    while b"\n" not in out:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        readable, _, _ = select.select([proc.stdout], [], [], min(remaining, 0.1))
        if readable:
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                return None
            out += chunk
    line = out.split(b"\n", 1)[0].decode()
    return line.removeprefix("READY ").strip() if line.startswith("READY ") else None


def start_emulator(ready_timeout: float = 20.0, attempts: int = 3) -> EmulatorProcess:
    """Start launcher.js on a free loopback port and wait for its READY line."""
    node = _check_installed()
    attempt = 1
    while True:
        stderr_file = tempfile.TemporaryFile()
        # --watch-stdin: the emulator exits when this pipe closes, i.e. when pytest dies.
        proc = subprocess.Popen(
            [node, str(LAUNCHER), str(_free_port()), "--watch-stdin"],
            cwd=EMULATOR_DIR, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr_file,
        )
        emulator = EmulatorProcess(_wait_ready(proc, ready_timeout) or "", proc, stderr_file)
        if emulator.api_url:
            return emulator
        exited = proc.poll() is not None
        _terminate(proc)
        stderr = emulator.stderr()
        stderr_file.close()
        # The free port can be taken between choosing it and node binding it: try another.
        if "EADDRINUSE" in stderr and attempt < attempts:
            attempt += 1
            continue
        what = (f"exited with code {proc.returncode}" if exited
                else f"did not print READY within {ready_timeout:g}s")
        raise EmulatorError(f"the Telegram emulator {what}; stderr:\n{stderr}")


def _terminate(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for pipe in (proc.stdin, proc.stdout):
        if pipe is not None:
            pipe.close()


def stop_emulator(emulator: EmulatorProcess) -> None:
    """Stop the emulator (SIGTERM, then SIGKILL after 5 s); raise if it had died on its own."""
    died_early = emulator.process.poll() is not None
    _terminate(emulator.process)
    stderr = emulator.stderr()
    emulator.stderr_file.close()
    if died_early:
        raise EmulatorError(
            f"the Telegram emulator had exited with code {emulator.process.returncode} "
            f"before the tests finished; stderr:\n{stderr}"
        )


@contextmanager
def running_emulator(ready_timeout: float = 20.0) -> Iterator[EmulatorProcess]:
    """Start the emulator for the duration of the with block."""
    emulator = start_emulator(ready_timeout)
    try:
        yield emulator
    finally:
        stop_emulator(emulator)
