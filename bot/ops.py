"""The operations endpoints on their own port: Prometheus `/metrics`, `/healthz` (the process is alive)
and `/readyz` (the database answers, a policy is loaded, the inbox is not stalled)."""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from typing import Callable

import tornado.httpserver
import tornado.netutil
import tornado.web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from store import Store, inbox_stats

from . import metrics

log = logging.getLogger("refundbot.ops")


class Probe:
    """Reads what the gauges and /readyz need from the store and the policy runtime."""

    def __init__(self, store: Store, runtime, *, stall_seconds: float, outbox_depth: Callable[[object], int] | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        self.store, self.runtime, self.stall_seconds = store, runtime, stall_seconds
        self.outbox_depth, self.clock = outbox_depth, clock

    def refresh(self) -> None:
        """Update the inbox and outbox gauges from the store."""
        with self.store.read() as session:
            stats = inbox_stats(session)
            outbox = self.outbox_depth(session) if self.outbox_depth else None
        metrics.INBOX_DEPTH.set(stats.pending)
        age = (self.clock() - stats.oldest_received_at).total_seconds() if stats.oldest_received_at else 0.0
        metrics.INBOX_OLDEST.set(max(age, 0.0))
        if outbox is not None:
            metrics.OUTBOX_DEPTH.set(outbox)

    def readiness(self) -> dict[str, str]:
        """Each check's result, 'ok' or why not."""
        checks = {}
        try:
            with self.store.read() as session:
                session.execute(text("SELECT 1"))
                stats = inbox_stats(session)
            checks["database"] = "ok"
            age = (self.clock() - stats.oldest_received_at).total_seconds() if stats.oldest_received_at else 0.0
            checks["inbox"] = "ok" if age <= self.stall_seconds else f"stalled: the oldest update has waited {age:.0f} s"
        except Exception as exc:  # any failure to reach the database makes the process unready
            checks["database"] = f"unreachable: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
            checks["inbox"] = "unknown"
        try:
            checks["policy"] = "ok" if self.runtime.live.current is not None and self.runtime.version else "not loaded"
        except Exception as exc:
            checks["policy"] = f"not loaded: {exc}"
        return checks


class _Metrics(tornado.web.RequestHandler):
    def initialize(self, probe: Probe) -> None:
        self.probe = probe

    async def get(self) -> None:
        try:
            await asyncio.to_thread(self.probe.refresh)
        except Exception as exc:  # the metrics that do not need the database are still worth serving
            log.warning("could not read the inbox for the metrics: %s", str(exc).splitlines()[0] if str(exc) else exc)
        self.set_header("Content-Type", CONTENT_TYPE_LATEST)
        self.finish(generate_latest())


class _Health(tornado.web.RequestHandler):
    def get(self) -> None:
        self.finish({"status": "ok"})


class _Ready(tornado.web.RequestHandler):
    def initialize(self, probe: Probe) -> None:
        self.probe = probe

    async def get(self) -> None:
        checks = await asyncio.to_thread(self.probe.readiness)
        ready = all(v == "ok" for v in checks.values())
        self.set_status(200 if ready else 503)
        self.finish({"status": "ready" if ready else "not ready", "checks": checks})


class OpsServer:
    """Serves /metrics, /healthz and /readyz on `listen:port`."""

    def __init__(self, probe: Probe, *, listen: str, port: int):
        self.listen, self.port = listen, port
        app = tornado.web.Application([("/metrics", _Metrics, {"probe": probe}), ("/healthz", _Health),
                                       ("/readyz", _Ready, {"probe": probe})])
        self._server = tornado.httpserver.HTTPServer(app, idle_connection_timeout=10, body_timeout=10, max_body_size=1024)

    def start(self) -> int:
        """Start listening (in the running event loop); returns the port."""
        sockets = tornado.netutil.bind_sockets(self.port, address=self.listen)  # one port a process: scrape each
        self._server.add_sockets(sockets)
        self.port = sockets[0].getsockname()[1]
        log.info("metrics and health on http://%s:%s/metrics, /healthz, /readyz", self.listen, self.port)
        return self.port

    async def stop(self) -> None:
        """Stop serving."""
        self._server.stop()
        await self._server.close_all_connections()
