"""CLI start-up stays light: help and `policy check` import neither the store (SQLAlchemy, Alembic) nor Telegram, and the command table matches what each module registers."""
from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot import cli
from policy import DEFAULT_POLICY_PATH

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("sqlalchemy", "alembic", "telegram", "store", "httpx")

PROBE = """
import json, sys
import bot.cli
try:
    code = bot.cli.main(sys.argv[1:])
except SystemExit as exc:  # --help exits
    code = exc.code
heavy = sorted({name.split('.')[0] for name in sys.modules} & set(json.loads(sys.stdin.read())))
print(json.dumps({"code": code, "heavy": heavy}))
"""


def imported_after(*argv: str) -> dict:
    """Run the CLI with `argv` in a fresh interpreter; its exit code and which heavy packages it imported."""
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], input=json.dumps(HEAVY), capture_output=True, text=True,
                          cwd=ROOT, timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("argv", [("--help",), ("policy", "--help"), ("policy", "check", "--help"), ("decide", "--help")])
def test_help_imports_neither_the_store_nor_telegram(argv):
    assert imported_after(*argv) == {"code": 0, "heavy": []}


@pytest.mark.parametrize("argv", [("seller", "--help"), ("run", "--help"), ("decisions", "--help"), ("policy", "replay", "--help")])
def test_help_of_commands_that_use_the_store_still_works(argv):
    assert imported_after(*argv)["code"] == 0


def test_importing_the_cli_alone_is_light():
    done = subprocess.run([sys.executable, "-c", "import sys, bot.cli; print(sorted(m for m in sys.modules if m.split('.')[0] in "
                           f"{HEAVY!r} or m.startswith(('policy', 'rules', 'yaml'))))"],
                          capture_output=True, text=True, cwd=ROOT, timeout=60, check=True)
    assert done.stdout.strip() == "[]"


def test_policy_check_imports_neither_the_store_nor_telegram():
    assert imported_after("policy", "check", DEFAULT_POLICY_PATH) == {"code": 0, "heavy": []}


def test_the_seller_command_does_load_the_store():  # the probe can see an import, so the tests above can fail
    result = imported_after("--config", "/nonexistent/config.yaml", "seller", "tier", "S1")
    assert "sqlalchemy" in result["heavy"] and "store" in result["heavy"]


def _registered(module: str) -> dict[str, str]:
    """The commands `module` registers, with their help texts."""
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    importlib.import_module(module).register(sub)
    return {action.dest: action.help for action in sub._choices_actions}


def test_the_command_table_matches_what_each_module_registers():
    table = {module: {name: help_text for name, (owner, help_text) in cli.COMMANDS.items() if owner == module}
             for module in cli.COMMAND_MODULES}
    assert {module: _registered(module) for module in cli.COMMAND_MODULES} == table


def test_every_command_parses_the_same_whether_loaded_alone_or_with_all():
    for name in cli.COMMANDS:
        alone = cli.build_parser([name])
        every = cli.build_parser([name], every_command=True)
        assert alone.format_help() == every.format_help()


@pytest.mark.parametrize("argv, expected", [
    ([], None), (["--help"], None), (["policy", "check"], "policy"), (["--config", "c.yaml", "seller", "tier", "S1"], "seller"),
    (["--config=c.yaml", "demo"], "demo"), (["-h", "policy"], None), (["nonsense"], "nonsense"),
])
def test_the_command_is_the_first_word_after_the_global_options(argv, expected):
    assert cli.command_in(argv) == expected


def test_an_unknown_command_lists_the_choices(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["nonsense"])
    assert info.value.code == 2
    assert "invalid choice: 'nonsense'" in capsys.readouterr().err
