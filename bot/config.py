"""Typed configuration: config.yaml plus REFUNDBOT_* environment overrides, validated once."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Mapping

from policy import DEFAULT_POLICY_PATH, PolicyErrors
from policy.validate import SchemaValidator
from policy.yamlsafe import Located, load_file

PLACEHOLDERS = {"", "placeholder", "changeme", "change-me", "secret", "token", "xxx", "todo"}
TOKEN_RE = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{20,}$")
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{16,256}$")  # Telegram's allowed secret_token characters

_STR = {"type": "string"}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "mode": {"enum": ["demo", "production"]},
        "policy": _STR,
        "database": {"type": "object", "additionalProperties": False, "properties": {"url": _STR}},
        "telegram": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "token": _STR,
                "base_url": _STR,
                "base_file_url": _STR,
                "mode": {"enum": ["polling", "webhook"]},
                "webhook": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "listen": _STR,
                        "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                        "url": _STR,
                        "secret_token": _STR,
                        "reuse_port": {"type": "boolean"},
                        "answer_within": {"type": "number", "minimum": 0, "maximum": 50},
                    },
                },
            },
        },
        "workers": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "threads": {"type": "integer", "minimum": 1, "maximum": 64},
                "lease_seconds": {"type": "integer", "minimum": 1, "maximum": 3600},
                "retention_hours": {"type": "integer", "minimum": 25, "maximum": 8760},
                "send_per_second": {"type": "integer", "minimum": 1, "maximum": 100000},
            },
        },
        "observability": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "metrics_listen": _STR,
                "metrics_port": {"type": "integer", "minimum": 0, "maximum": 65535},
                "log_format": {"enum": ["text", "json"]},
                "stall_seconds": {"type": "integer", "minimum": 1, "maximum": 86400},
            },
        },
        "desk": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"overdue_hours": {"type": "integer", "minimum": 1, "maximum": 8760}},
        },
        "limits": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "messages_per_minute": {"type": "integer", "minimum": 1, "maximum": 10000},
                "max_text_length": {"type": "integer", "minimum": 16, "maximum": 4096},
            },
        },
    },
}

ENV = {
    "REFUNDBOT_MODE": ("mode",),
    "REFUNDBOT_POLICY": ("policy",),
    "REFUNDBOT_DATABASE_URL": ("database", "url"),
    "REFUNDBOT_TELEGRAM_TOKEN": ("telegram", "token"),
    "REFUNDBOT_TELEGRAM_BASE_URL": ("telegram", "base_url"),
    "REFUNDBOT_TELEGRAM_BASE_FILE_URL": ("telegram", "base_file_url"),
    "REFUNDBOT_TELEGRAM_MODE": ("telegram", "mode"),
    "REFUNDBOT_WEBHOOK_LISTEN": ("telegram", "webhook", "listen"),
    "REFUNDBOT_WEBHOOK_PORT": ("telegram", "webhook", "port"),
    "REFUNDBOT_WEBHOOK_URL": ("telegram", "webhook", "url"),
    "REFUNDBOT_WEBHOOK_SECRET": ("telegram", "webhook", "secret_token"),
    "REFUNDBOT_WORKER_THREADS": ("workers", "threads"),
    "REFUNDBOT_LEASE_SECONDS": ("workers", "lease_seconds"),
    "REFUNDBOT_RETENTION_HOURS": ("workers", "retention_hours"),
    "REFUNDBOT_SEND_PER_SECOND": ("workers", "send_per_second"),
    "REFUNDBOT_METRICS_LISTEN": ("observability", "metrics_listen"),
    "REFUNDBOT_METRICS_PORT": ("observability", "metrics_port"),
    "REFUNDBOT_LOG_FORMAT": ("observability", "log_format"),
}
NUMERIC_KEYS = {"port", "threads", "lease_seconds", "retention_hours", "send_per_second", "metrics_port", "stall_seconds"}


class ConfigError(Exception):
    """The configuration is invalid; `errors` lists every problem with its location."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass(frozen=True)
class TelegramConfig:
    """How to reach Telegram: token, Bot API base URL, polling or webhook."""

    token: str
    base_url: str
    base_file_url: str  # empty: derived from base_url (https://api.telegram.org/file/bot)
    mode: str
    webhook_listen: str
    webhook_port: int
    webhook_url: str
    webhook_secret: str
    webhook_reuse_port: bool = True  # several processes on one host may serve the same port
    webhook_answer_within: float = 5.0  # seconds a webhook request waits to carry the update's reply (Telegram waits 60)


@dataclass(frozen=True)
class WorkersConfig:
    """The inbox workers of one process, and how long handled updates and sent messages are kept."""

    threads: int = 4
    lease_seconds: int = 30  # an update taken longer ago than this by a worker that did not finish is taken again
    retention_hours: int = 48  # Telegram redelivers for at most 24 hours
    send_per_second: int = 30  # this process's share of Telegram's ~30 messages/s a bot (divide by the processes)


@dataclass(frozen=True)
class ObservabilityConfig:
    """Metrics and health endpoints (port 0: off) and the log format."""

    metrics_listen: str = "127.0.0.1"
    metrics_port: int = 0
    log_format: str = "text"
    stall_seconds: int = 120  # /readyz fails when the oldest waiting update is older than this


@dataclass(frozen=True)
class LimitsConfig:
    """Per-user protection limits."""

    messages_per_minute: int
    max_text_length: int


@dataclass(frozen=True)
class DeskConfig:
    """The review desk: after how many hours an open case is overdue."""

    overdue_hours: int = 24


@dataclass(frozen=True)
class Config:
    """The validated configuration."""

    mode: str
    policy_path: str
    database_url: str
    telegram: TelegramConfig
    limits: LimitsConfig
    source: str
    workers: WorkersConfig = WorkersConfig()
    observability: ObservabilityConfig = ObservabilityConfig()
    desk: DeskConfig = DeskConfig()

    @property
    def demo(self) -> bool:
        """True in demo mode (placeholder secrets allowed for everything but a live Telegram bot)."""
        return self.mode == "demo"

    def require_telegram(self, *, mode: str | None = None) -> TelegramConfig:
        """The Telegram settings (with `mode` overriding telegram.mode), or ConfigError if the token
        (or, for webhooks, the secret and URL) is missing or a placeholder."""
        t = replace(self.telegram, mode=mode) if mode else self.telegram
        errors = []
        if is_placeholder(t.token):
            errors.append(f"{self.source}: telegram.token: set a real bot token (REFUNDBOT_TELEGRAM_TOKEN); "
                          f"the bot will not start with a missing or placeholder token")
        elif not TOKEN_RE.fullmatch(t.token):
            errors.append(f"{self.source}: telegram.token: does not look like a bot token (digits:characters)")
        if t.mode == "webhook":
            if is_placeholder(t.webhook_secret) or not SECRET_RE.fullmatch(t.webhook_secret):
                errors.append(f"{self.source}: telegram.webhook.secret_token: set a secret of 16-256 letters, digits, _ or - "
                              f"(REFUNDBOT_WEBHOOK_SECRET)")
            if not t.webhook_url.startswith("https://"):
                errors.append(f"{self.source}: telegram.webhook.url: set the public https:// URL Telegram posts to")
        if errors:
            raise ConfigError(errors)
        return t


def is_placeholder(value: str | None) -> bool:
    """True for empty or obviously made-up secrets."""
    if value is None:
        return True
    v = value.strip().lower()
    return v in PLACEHOLDERS or v.startswith(("<", "your")) or "placeholder" in v or set(v) <= {"x", "0"}


def _set(data: dict, path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        if not isinstance(data.get(key), dict):
            data[key] = {}
        data = data[key]
    data[path[-1]] = value


def _resolve(base: Path, value: str) -> str:
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else (base / path).resolve())


def _database_url(base: Path, url: str) -> str:
    prefix = "sqlite:///"
    if url.startswith(prefix) and url != prefix + ":memory:" and not url.startswith(prefix + "/"):
        return prefix + _resolve(base, url[len(prefix):])
    return url


def default_config_path() -> str | None:
    """REFUNDBOT_CONFIG, else ./config.yaml if it exists."""
    explicit = os.environ.get("REFUNDBOT_CONFIG")
    if explicit:
        return explicit
    return "config.yaml" if os.path.exists("config.yaml") else None


def load_config(path: str | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Load and validate the configuration; raise ConfigError listing every problem."""
    env = os.environ if env is None else env
    path = path or default_config_path()
    if path:
        try:
            located = load_file(path)
        except PolicyErrors as exc:
            raise ConfigError([str(e) for e in exc.errors]) from None
        data = located.data if located.data is not None else {}
        base = Path(path).resolve().parent
        source = path
    else:
        located, data, base, source = Located(data={}, source="(defaults)"), {}, Path.cwd(), "(defaults)"
    if not isinstance(data, dict):
        raise ConfigError([f"{source}:1:1: the configuration must be a mapping"])
    for name, key_path in ENV.items():
        if name in env:
            value: Any = env[name]
            if key_path[-1] in NUMERIC_KEYS:
                value = int(value) if value.isdigit() else value
            _set(data, key_path, value)
    located.data = data
    validator = SchemaValidator(located)
    validator.check(data, SCHEMA)
    if validator.errors:
        raise ConfigError([str(e) for e in validator.errors])
    tg = data.get("telegram", {})
    hook = tg.get("webhook", {})
    limits = data.get("limits", {})
    policy = data.get("policy")
    return Config(
        mode=data.get("mode", "demo"),
        policy_path=_resolve(base, policy) if policy else DEFAULT_POLICY_PATH,
        database_url=_database_url(base, data.get("database", {}).get("url", "sqlite:///var/refundbot.sqlite3")),
        telegram=TelegramConfig(
            token=tg.get("token", ""),
            base_url=tg.get("base_url", "https://api.telegram.org/bot"),
            base_file_url=tg.get("base_file_url", ""),
            mode=tg.get("mode", "polling"),
            webhook_listen=hook.get("listen", "127.0.0.1"),
            webhook_port=hook.get("port", 8443),
            webhook_url=hook.get("url", ""),
            webhook_secret=hook.get("secret_token", ""),
            webhook_reuse_port=hook.get("reuse_port", True),
            webhook_answer_within=float(hook.get("answer_within", 5.0)),
        ),
        limits=LimitsConfig(
            messages_per_minute=limits.get("messages_per_minute", 20),
            max_text_length=limits.get("max_text_length", 1000),
        ),
        source=source,
        workers=WorkersConfig(**data.get("workers", {})),
        observability=ObservabilityConfig(**data.get("observability", {})),
        desk=DeskConfig(overdue_hours=data.get("desk", {}).get("overdue_hours", 24)),
    )
