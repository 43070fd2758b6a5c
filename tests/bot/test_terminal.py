"""The terminal adapter: numbered choices, piped input, and the `chat`/`invite` commands on a demo database."""
from __future__ import annotations

import io
import re
import subprocess
import sys

import pytest

from bot.terminal import Terminal, terminal_user_id
from store import Identity

from .conftest import NOW


def test_a_piped_buyer_session_reads_as_a_transcript(service):
    terminal = Terminal(service, Identity(0, "buyer", "B1"))
    out = io.StringIO()
    assert terminal.run(io.StringIO("/refund\n1\n\n2\n1\n/status\n"), out, prompt=False) == 0
    transcript = out.getvalue()
    assert transcript.startswith("Hello! You're linked as buyer B1.")
    assert "> /refund\nWhich order is it about?\n  1) Order O1 - delivered 2026-11-15 (1 item)\n  2) Order O2" in transcript
    assert "  2) It's faulty" in transcript
    assert "Refund: $80.00" in transcript and "(rule non_returnable_seller_fault)" in transcript
    assert "- Trail Sleeping Bag: refund without return $80.00 on 2026-11-20" in transcript


def test_numbers_only_choose_when_there_are_choices(service):
    terminal = Terminal(service, Identity(0, "buyer", "B1"))
    assert "Sorry, I didn't understand that." in terminal.send("7")


def test_a_seller_sends_a_photo_from_the_terminal(service):
    from datetime import timedelta

    from store import record_return_delivery

    with service.store.write() as session:
        record_return_delivery(session, return_request_id="R4", delivered_at=NOW - timedelta(days=1), condition_received="damaged")
    terminal = Terminal(service, Identity(0, "seller", "S1"))
    terminal.send("/claim RF4")
    shown = terminal.send("2")  # It came back damaged
    assert "Needed for this reason: photo." in shown
    assert "Photo added (1 so far)." in terminal.send("/photo box.jpg")
    submit = next(i for i, b in enumerate(terminal.buttons, 1) if b.text == "Submit claim")
    assert "Your claim is approved." in terminal.send(str(submit))


def test_terminal_users_never_collide_with_telegram_users():
    ids = {terminal_user_id(Identity(0, role, acct)) for role, acct in [("buyer", "B1"), ("buyer", "B2"), ("seller", "S1"), ("admin", None)]}
    assert len(ids) == 4 and all(i < 0 for i in ids)


@pytest.fixture(scope="module")
def demo_config(tmp_path_factory):
    """A config whose database is a fresh demo database."""
    folder = tmp_path_factory.mktemp("demo")
    config = folder / "config.yaml"
    config.write_text(f"mode: demo\ndatabase:\n  url: sqlite:///{folder}/demo.sqlite3\n")
    proc = subprocess.run([sys.executable, "-m", "bot.cli", "--config", str(config), "demo"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "seller S1" in proc.stdout
    return config


def refundbot(config, *args, stdin: str = ""):
    return subprocess.run([sys.executable, "-m", "bot.cli", "--config", str(config), *args], input=stdin,
                          capture_output=True, text=True, timeout=120)


def test_chat_command_on_the_demo_database(demo_config):
    proc = refundbot(demo_config, "chat", "--as", "buyer:B1", stdin="/refund\n1\n1\n1\n")
    assert proc.returncode == 0, proc.stderr
    assert "> /refund" in proc.stdout and "  1) " in proc.stdout
    assert re.search(r"Decision D-[0-9A-Z]{12} \(policy 2026\.11-1\+[0-9a-f]{12}\)", proc.stdout), proc.stdout


def test_chat_command_refuses_unknown_accounts(demo_config):
    proc = refundbot(demo_config, "chat", "--as", "buyer:NOBODY")
    assert proc.returncode == 1 and "there is no buyer 'NOBODY'" in proc.stderr
    proc = refundbot(demo_config, "chat", "--as", "shopper:B1")
    assert proc.returncode == 1 and "use buyer:ID, seller:ID, agent:NAME or admin" in proc.stderr


def test_invite_prints_a_working_code_and_deep_link(demo_config):
    proc = refundbot(demo_config, "invite", "seller", "S2", "--bot-username", "@RefundBot")
    assert proc.returncode == 0, proc.stderr
    code = re.search(r"code:\s+(\S+)", proc.stdout).group(1)
    assert f"/start {code}" in proc.stdout and f"https://t.me/RefundBot?start={code}" in proc.stdout
    assert re.fullmatch(r"[A-Za-z0-9_-]{16,64}", code)  # valid as a Telegram deep-link payload
    assert refundbot(demo_config, "invite", "seller", "NOPE").returncode == 1
    assert refundbot(demo_config, "invite", "admin", "S1").returncode == 1


def test_run_refuses_a_placeholder_token(demo_config):
    proc = refundbot(demo_config, "run")
    assert proc.returncode == 1
    assert "refusing to start" in proc.stderr and "placeholder token" in proc.stderr
