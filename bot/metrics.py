"""Prometheus metrics of the bot (prometheus_client): what was handled, what was decided, how long it took,
and what waits in the inbox and the outbox."""
from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, Info

UPDATES = Counter("refundbot_updates_handled", "Chat updates handled, by kind", ["kind"])
DECISIONS = Counter("refundbot_decisions", "Decisions made in the chat, by kind, outcome and rule", ["kind", "outcome", "rule"])
HANDLING = Histogram("refundbot_update_handling_seconds", "Time to handle one update (its transaction included)",
                     buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
INBOX_DEPTH = Gauge("refundbot_inbox_depth", "Updates stored but not yet handled")
INBOX_OLDEST = Gauge("refundbot_inbox_oldest_age_seconds", "Age of the oldest update not yet handled (0 when none)")
OUTBOX_DEPTH = Gauge("refundbot_outbox_depth", "Messages waiting to be sent")
RELOADS = Counter("refundbot_policy_reloads", "Policy reload attempts, by result", ["result"])
RETRIES = Counter("refundbot_update_retries", "Handlings of an update run again, by why: stale_state (its conversation "
                  "changed meanwhile), on_its_own (its storing and handling in one transaction failed)", ["why"])
POLICY = Info("refundbot_policy", "The policy version in force")


def observe_update(kind: str, seconds: float) -> None:
    """Count one handled update of `kind` and its handling time."""
    UPDATES.labels(kind).inc()
    HANDLING.observe(seconds)


def observe_retry(why: str) -> None:
    """Count one handling run again ("stale_state" or "on_its_own")."""
    RETRIES.labels(why).inc()


def observe_decision(kind: str, outcome: str, rule: str) -> None:
    """Count one decision."""
    DECISIONS.labels(kind, outcome, rule).inc()


def observe_reload(result) -> None:
    """A PolicyRuntime listener: count the reload and publish the version in force."""
    RELOADS.labels("ok" if result.ok else "failed").inc()
    POLICY.info({"version": result.version})


def policy_in_force(version: str) -> None:
    """Publish the version in force (at start-up, before any reload)."""
    POLICY.info({"version": version})
