"""What an operator sees: JSON log lines with the update id, the decision id and the reference the person
was shown; the decision and update counters; one rate limit shared by every worker process."""
from __future__ import annotations

import io
import json
import logging

import pytest
from prometheus_client import REGISTRY

from bot.config import LimitsConfig
from bot.logs import JsonLines, UpdateContext
from bot.messages import Incoming
from bot.service import ChatService
from store import get_decision

from .conftest import NOW, Chat


@pytest.fixture
def json_log():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(UpdateContext())
    handler.setFormatter(JsonLines())
    logger = logging.getLogger("refundbot")
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)
    logger.setLevel(old_level)


def counter(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_decision_is_logged_as_json_with_its_update_and_reference(alice, service, json_log):
    alice.say("/refund O1-1")
    alice.tap("faulty")
    before = {s.labels.get("rule"): s.value for m in REGISTRY.collect() if m.name == "refundbot_decisions" for s in m.samples
              if s.name.endswith("_total")}
    replies = alice.tap("Unopened")
    decision_id = replies[0].text.split("Decision ")[1].split(" ")[0]
    [line] = [entry for entry in json_log() if entry.get("decision_id")]
    assert line["decision_id"] == decision_id and line["reference"] == decision_id  # what the person was shown
    assert isinstance(line["update_id"], int) and line["kind"] == "button" and line["level"] == "info"
    with service.store.read() as session:
        decision = get_decision(session, decision_id=decision_id)
    labels = {"kind": "refund", "outcome": decision.outcome, "rule": decision.rule}
    assert counter("refundbot_decisions_total", **labels) == before.get(decision.rule, 0.0) + 1


def test_a_failure_is_logged_with_the_reference_the_person_got(alice, json_log, monkeypatch):
    from bot.flows import buyer

    def broken(turn, condition):
        raise RuntimeError("the carrier API is down")

    alice.say("/refund O1-1")
    alice.tap("faulty")
    monkeypatch.setitem(buyer.STEPS, "condition", broken)
    reply = alice.tap("Unopened")[0].text
    reference = reply.split("reference ")[1].rstrip(".")
    entries = json_log()
    error = [e for e in entries if e["level"] == "error"][0]
    assert error["reference"] == reference and "RuntimeError: the carrier API is down" in error["error"]
    assert error["update_id"] == [e for e in entries if e.get("kind") == "failed"][0]["update_id"]


def test_every_worker_process_shares_one_rate_limit(marketplace, runtime):
    clock = [1_800_000_000.0]
    limits = LimitsConfig(messages_per_minute=4, max_text_length=100)
    workers = [ChatService(marketplace, runtime, limits=limits, clock=lambda: NOW, wallclock=lambda: clock[0]) for _ in range(2)]
    answers = [workers[i % 2].handle(Incoming(user_id=4242, text="/help", update_id=90_000 + i, language="en")) for i in range(6)]
    assert [bool(a) for a in answers[:4]] == [True] * 4  # four allowed, whichever worker handled them
    assert "sending messages faster" in answers[4][0].text and answers[5] == []


def test_handled_updates_are_counted_by_kind(service):
    before = counter("refundbot_updates_handled_total", kind="text")
    Chat(service, 4545).say("hello")
    assert counter("refundbot_updates_handled_total", kind="text") == before + 1


def test_policy_reloads_are_counted_by_result_and_the_version_in_force_published(runtime, policy_file):
    from bot import metrics

    runtime.add_listener(metrics.observe_reload)
    before = {r: counter("refundbot_policy_reloads_total", result=r) for r in ("ok", "failed")}
    runtime.reload()
    policy_file.write_text("this is: [not a policy")
    runtime.reload()
    assert counter("refundbot_policy_reloads_total", result="ok") == before["ok"] + 1
    assert counter("refundbot_policy_reloads_total", result="failed") == before["failed"] + 1
    assert counter("refundbot_policy_info", version=runtime.version) == 1.0  # still the good one
