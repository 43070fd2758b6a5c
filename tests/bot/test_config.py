"""Typed configuration: config.yaml plus environment overrides, validated once; no placeholder secrets on Telegram."""
from __future__ import annotations

import pytest

from bot.config import ConfigError, is_placeholder, load_config
from policy import DEFAULT_POLICY_PATH

TOKEN = "123456789:AAH4x9kQwErTyUiOpAsDfGhJkLzXcVbNm12"


def write(tmp_path, text: str):
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return str(path)


def test_the_shipped_config_loads_in_demo_mode():
    config = load_config("config.yaml", env={})
    assert config.demo and config.database_url.startswith("sqlite:////") and config.database_url.endswith("/var/refundbot.sqlite3")
    assert config.policy_path.endswith("policy/default.yaml")
    assert config.telegram.mode == "polling" and config.limits.messages_per_minute == 20


def test_relative_paths_are_relative_to_the_config_file(tmp_path):
    config = load_config(write(tmp_path, "policy: p/x.yaml\ndatabase:\n  url: sqlite:///data/db.sqlite3\n"), env={})
    assert config.policy_path == str(tmp_path / "p" / "x.yaml")
    assert config.database_url == f"sqlite:///{tmp_path}/data/db.sqlite3"


def test_defaults_without_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_config(None, env={})
    assert config.source == "(defaults)" and config.policy_path == DEFAULT_POLICY_PATH


def test_environment_overrides_the_file(tmp_path):
    env = {"REFUNDBOT_DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/test", "REFUNDBOT_TELEGRAM_TOKEN": TOKEN,
           "REFUNDBOT_TELEGRAM_BASE_URL": "http://127.0.0.1:8081/bot", "REFUNDBOT_WEBHOOK_PORT": "9443", "REFUNDBOT_MODE": "production"}
    config = load_config(write(tmp_path, "telegram:\n  token: PLACEHOLDER\n"), env=env)
    assert config.database_url == env["REFUNDBOT_DATABASE_URL"] and not config.demo
    assert config.telegram.token == TOKEN and config.telegram.base_url == "http://127.0.0.1:8081/bot"
    assert config.telegram.webhook_port == 9443
    assert config.require_telegram().token == TOKEN


def test_every_config_error_is_reported_with_its_location(tmp_path):
    path = write(tmp_path, "mode: prod\nlimits:\n  messages_per_minut: 5\n  max_text_length: 2\ntelegram:\n  mode: hook\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    errors = info.value.errors
    assert len(errors) == 4
    assert errors[0].startswith(f"{path}:1:7: bad-value: mode: 'prod' is not one of demo, production")
    assert any("unknown-key: limits.messages_per_minut" in e and "did you mean 'messages_per_minute'" in e for e in errors)
    assert any("out-of-range: limits.max_text_length" in e for e in errors)
    assert any("telegram.mode: 'hook' is not one of polling, webhook" in e for e in errors)


@pytest.mark.parametrize("token", ["", "PLACEHOLDER", "changeme", "<your token>", "your-token-here", "xxxx", "000000"])
def test_placeholder_tokens_are_refused(tmp_path, token):
    config = load_config(write(tmp_path, f"telegram:\n  token: '{token}'\n"), env={})
    with pytest.raises(ConfigError) as info:
        config.require_telegram()
    assert "placeholder token" in info.value.errors[0]


def test_a_token_that_does_not_look_like_one_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="does not look like a bot token"):
        load_config(write(tmp_path, "telegram:\n  token: hunter2hunter2\n"), env={}).require_telegram()


def test_webhook_mode_needs_a_real_secret_and_an_https_url(tmp_path):
    config = load_config(write(tmp_path, f"telegram:\n  token: '{TOKEN}'\n  mode: webhook\n  webhook:\n    secret_token: PLACEHOLDER\n"), env={})
    with pytest.raises(ConfigError) as info:
        config.require_telegram()
    assert len(info.value.errors) == 2 and "secret_token" in info.value.errors[0] and "https://" in info.value.errors[1]
    good = load_config(write(tmp_path, f"telegram:\n  token: '{TOKEN}'\n  mode: webhook\n  webhook:\n    secret_token: Zx9-Kq_2mN8pL4vR7tW1\n"
                                       "    url: https://bot.example.com/telegram\n"), env={})
    assert good.require_telegram().webhook_secret == "Zx9-Kq_2mN8pL4vR7tW1"


def test_polling_can_be_forced_over_a_webhook_config(tmp_path):
    config = load_config(write(tmp_path, f"telegram:\n  token: '{TOKEN}'\n  mode: webhook\n"), env={})
    assert config.require_telegram(mode="polling").mode == "polling"
    with pytest.raises(ConfigError):
        config.require_telegram()


def test_placeholder_detection():
    assert is_placeholder(None) and is_placeholder(" PLACEHOLDER ") and is_placeholder("<token>")
    assert not is_placeholder(TOKEN) and not is_placeholder("Zx9-Kq_2mN8pL4vR7tW1")


def test_workers_and_observability_from_the_file_and_the_environment(tmp_path):
    path = write(tmp_path, "workers:\n  threads: 2\n  lease_seconds: 10\nobservability:\n  metrics_port: 9101\n")
    config = load_config(path, env={"REFUNDBOT_WORKER_THREADS": "8", "REFUNDBOT_LOG_FORMAT": "json",
                                    "REFUNDBOT_RETENTION_HOURS": "72"})
    assert (config.workers.threads, config.workers.lease_seconds, config.workers.retention_hours) == (8, 10, 72)
    assert (config.observability.metrics_port, config.observability.log_format) == (9101, "json")
    with pytest.raises(ConfigError, match="retention_hours"):
        load_config(write(tmp_path, "workers:\n  retention_hours: 12\n"), env={})  # shorter than Telegram's redelivery
    with pytest.raises(ConfigError, match="log_format"):
        load_config(path, env={"REFUNDBOT_LOG_FORMAT": "xml"})
