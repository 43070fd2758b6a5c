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


@pytest.fixture
def service(marketplace, runtime):
    """The chat service as `refundbot chat` builds it: channel terminal."""
    from bot.config import LimitsConfig
    from bot.service import ChatService

    return ChatService(marketplace, runtime, limits=LimitsConfig(messages_per_minute=1000, max_text_length=1000),
                       channel="terminal", clock=lambda: NOW)


def test_a_piped_buyer_session_reads_as_a_transcript(service):
    terminal = Terminal(service, Identity(0, "buyer", "B1"))
    out = io.StringIO()
    assert terminal.run(io.StringIO("/refund\n1\n\n2\n1\n/status\n"), out, prompt=False) == 0
    transcript = out.getvalue()
    assert transcript.startswith("Hello Alice! I'm here for refunds on your orders.")
    assert ("> /refund\nWhich item is it about?\n\nOrder O1 · delivered 2026-11-15\n• Trail Sleeping Bag · $80.00\n"
            "Order O2 · delivered 2026-11-10\n• Rain Jacket · $40.00\n• Wool Socks · $20.00\n"
            "  1) Trail Sleeping Bag · $80.00\n  2) Rain Jacket · $40.00\n  3) Wool Socks · $20.00") in transcript
    assert "  2) It's faulty" in transcript and "<b>" not in transcript
    assert "Refund: $80.00" in transcript and "(rule" not in transcript
    assert "- Trail Sleeping Bag: refund without return $80.00 on 2026-11-20" in transcript


def test_numbers_only_choose_when_there_are_choices(service):
    terminal = Terminal(service, Identity(0, "buyer", "B1"))
    assert "I can't help with that" in terminal.send("7")
    terminal.send("/refund")
    assert terminal.send("7") == "There is no choice 7: choose 1 to 3.\n"
    assert len(terminal.buttons) == 3  # the choices stay on offer
    assert "What's the problem with Trail Sleeping Bag?" in terminal.send("1")


def test_the_terminal_says_choose_a_number_never_tap_a_button(service):
    terminal = Terminal(service, Identity(0, "buyer", "B1"))
    terminal.send("/refund")
    shown = terminal.send("the zip")
    assert "Please choose one of the options (type its number), or send /cancel." in shown
    assert "tap" not in shown.casefold()


def test_terminal_help_lists_photo_and_every_command_of_the_role(service):
    from bot.service import COMMANDS

    for role, account in (("buyer", "B1"), ("seller", "S1"), ("admin", None)):
        shown = Terminal(service, Identity(0, role, account)).send("/help")
        assert "/photo PATH" in shown and "/quit" in shown
        for command in COMMANDS[role]:
            assert command == "start" or f"/{command}" in shown, (role, command)


def test_a_photo_that_is_not_a_file_is_not_sent(service, tmp_path):
    terminal = Terminal(service, Identity(0, "seller", "S1"))
    assert terminal.send("/photo") == "Say which picture: /photo PATH (e.g. /photo ~/box.jpg).\n"
    assert terminal.send(f"/photo {tmp_path}/missing.jpg") == f"There is no file {tmp_path}/missing.jpg; nothing was sent.\n"


def test_the_rate_limit_is_said_every_time_never_dropped_quietly(marketplace, runtime):
    from bot.config import LimitsConfig
    from bot.service import ChatService

    service = ChatService(marketplace, runtime, limits=LimitsConfig(messages_per_minute=2, max_text_length=20),
                          channel="terminal", clock=lambda: NOW)
    terminal = Terminal(service, Identity(0, "buyer", "B1"))
    terminal.send("/help")
    assert "(Your message was long, so I only read the first 20 characters.)" in terminal.send("x" * 50)
    for _ in range(3):
        assert "You're sending messages faster than I can answer." in terminal.send("/help")


def test_lines_are_edited_and_recalled_with_prompt_toolkit(service, tmp_path):
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from bot.terminal import line_editor

    history = tmp_path / "history"
    out = io.StringIO()
    typed = iter(["/statsu\x7f\x7fus\r",  # a typo mended with backspace
                  "\x1b[A\r",  # arrow up: the same line again
                  "/quit\r"])
    with create_pipe_input() as keys:
        editor = line_editor(history, input=keys, output=DummyOutput())

        def type_then_read() -> str:
            keys.send_text(next(typed))
            return editor()

        assert Terminal(service, Identity(0, "buyer", "B1")).run(io.StringIO(), out, prompt=True, editor=type_then_read) == 0
    assert out.getvalue().count("You haven't asked for any refunds yet.") == 2
    assert "/status" in history.read_text()


def test_a_seller_sends_a_photo_from_the_terminal(service, tmp_path):
    from datetime import timedelta

    from store import record_return_delivery

    with service.store.write() as session:
        record_return_delivery(session, return_request_id="R4", delivered_at=NOW - timedelta(days=1), condition_received="damaged")
    terminal = Terminal(service, Identity(0, "seller", "S1"))
    terminal.send("/claim RF4")
    shown = terminal.send("2")  # It came back damaged
    assert "Needed for this reason: photo." in shown
    (tmp_path / "box.jpg").write_bytes(b"\xff\xd8\xff")
    assert "Photo added (1 so far)." in terminal.send(f"/photo {tmp_path}/box.jpg")
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
    assert re.search(r"Decision D-[0-9A-Z]{12} · policy 2026\.11-1\+[0-9a-f]{12}", proc.stdout), proc.stdout


def test_a_rejected_reload_is_printed_once(demo_config, tmp_path):
    from policy import DEFAULT_POLICY_PATH

    policy = tmp_path / "policy.yaml"
    policy.write_text(open(DEFAULT_POLICY_PATH).read())
    config = tmp_path / "config.yaml"
    config.write_text(demo_config.read_text() + f"policy: {policy}\n")
    chat = subprocess.Popen([sys.executable, "-m", "bot.cli", "--config", str(config), "chat", "--as", "admin",
                             "--log", str(tmp_path / "chat.log")],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        chat.stdin.write("/policy\n")
        chat.stdin.flush()
        while "> /policy" not in chat.stdout.readline():
            pass
        policy.write_text(policy.read_text().replace("max_price: 15", "max_price: -15"))
        out, err = chat.communicate("/reload\n", timeout=120)
    finally:
        chat.kill()
    assert "The new policy was rejected" in out
    assert (out + err).count("max_price: -15 is negative") == 1 and err == ""
    assert "max_price: -15 is negative" in (tmp_path / "chat.log").read_text()  # the details are logged, off screen


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
