"""Fixtures for end-to-end bot tests against the telegram-test-api emulator.

    async def test_hello(telegram_emulator):
        async with running_bot(build_app, telegram_emulator):
            user = telegram_emulator.user()
            await user.send("/start")
            assert (await user.reply()).text == "Hello"
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.bot.e2e.emulator_process import (
    EmulatorError, EmulatorProcess, start_emulator, stop_emulator,
)
from tests.bot.e2e.harness import TelegramEmulator


@pytest.fixture(scope="session")
def telegram_emulator_process() -> Iterator[EmulatorProcess]:
    """One emulator process for the session, stopped (SIGTERM, then kill) at the end."""
    try:
        process = start_emulator()
    except EmulatorError as exc:
        # Fail, never skip: CI must run the end-to-end test.
        pytest.fail(str(exc), pytrace=False)
    yield process
    stop_emulator(process)


@pytest.fixture
async def telegram_emulator(
    telegram_emulator_process: EmulatorProcess,
) -> AsyncIterator[TelegramEmulator]:
    """The emulator with a fresh bot token for this test, so tests share no messages."""
    try:
        telegram_emulator_process.check_alive()
    except EmulatorError as exc:
        pytest.fail(str(exc), pytrace=False)
    async with httpx.AsyncClient(timeout=5.0) as http:
        yield TelegramEmulator(telegram_emulator_process, http)
