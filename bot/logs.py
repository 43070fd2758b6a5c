"""Logging set-up: plain text or JSON lines, every record stamped with the update being handled."""
from __future__ import annotations

import contextvars
import json
import logging
from datetime import datetime, timezone

# The update a thread is handling, so every log line written meanwhile carries its id.
current_update: contextvars.ContextVar[int | None] = contextvars.ContextVar("current_update", default=None)

EXTRA_FIELDS = ("update_id", "decision_id", "reference", "kind", "chat_id", "seconds", "worker")


class UpdateContext(logging.Filter):
    """Adds `update_id` (from the handling context) to records that do not carry one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "update_id", None) is None:
            record.update_id = current_update.get()
        return True


class JsonLines(logging.Formatter):
    """One JSON object a line: time, level, logger, message, the update's fields, and the traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in EXTRA_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(fmt: str = "text", level: int = logging.INFO) -> None:
    """Log to stderr as `text` or `json` lines; quiet the HTTP client's one line per request."""
    handler = logging.StreamHandler()
    handler.addFilter(UpdateContext())
    if fmt == "json":
        handler.setFormatter(JsonLines())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("tornado.access").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # "running upgrade" lines belong to `refundbot migrate`-like tools
