"""`refundbot decisions show ID` and `refundbot policy replay NEW_POLICY`: what was decided, and what a change would do.

`policy replay` is registered by policy_cmd (so `policy check` does not import the store) and runs `run_replay` here.
"""
from __future__ import annotations

import argparse
import json
from datetime import date, datetime, timezone
from decimal import Decimal

from bot.cli import CliError
from bot.format import money
from rules.replay import MONEY_FIELDS, ReplayReport, StoredDecision, replay
from store import NotFound, get_decision, iter_decisions
from store.vocabulary import ENGINE

from .common import config_of, load_compiled, open_store_at, print_json


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `decisions` command group (replay is registered under `policy` by policy_cmd)."""
    decisions = sub.add_parser("decisions", help="look at logged decisions")
    actions = decisions.add_subparsers(dest="decisions_command", metavar="ACTION", parser_class=type(decisions))
    actions.required = True
    show = actions.add_parser("show", help="print one decision: facts, rule, policy version, explanation")
    show.add_argument("decision_id", metavar="ID")
    show.add_argument("--json", action="store_true", help="print the stored record as JSON")
    show.set_defaults(handler=show_decision)


def show_decision(args: argparse.Namespace) -> int:
    """Print one logged decision."""
    store = open_store_at(config_of(args).database_url)
    try:
        with store.read() as session:
            record = get_decision(session, decision_id=args.decision_id)
    except NotFound:
        raise CliError(f"no decision {args.decision_id!r}") from None
    finally:
        store.close()
    data = {name: getattr(record, name) for name in record.__dataclass_fields__}
    if args.json:
        print_json(json.loads(json.dumps(data, default=_plain)))
        return 0
    subjects = ", ".join(f"{k} {data[k]}" for k in ("buyer_id", "seller_id", "order_item_id", "refund_id", "claim_id") if data[k])
    amounts = ", ".join(f"{k.replace('_', ' ')} {money(data[k])}" for k in MONEY_FIELDS if data[k] is not None)
    print(f"Decision {record.id} ({record.kind}), {record.decided_at.isoformat()} via {record.channel}")
    print(f"  policy version: {record.policy_version}")
    print(f"  rule:           {record.rule}")
    print(f"  outcome:        {record.outcome} (reason {record.reason})")
    if record.decided_by != ENGINE:
        print(f"  decided by:     {record.decided_by}" + (f", reviewing {record.reviews_decision_id}" if record.reviews_decision_id else ""))
        print(f"  note:           {record.note or '-'}")
    if amounts:
        print(f"  amounts:        {amounts}")
    if subjects:
        print(f"  about:          {subjects}")
    print(f"  explanation:    {record.explanation}")
    print("  facts:")
    for name, value in record.facts.items():
        print(f"    {name}: {json.dumps(value)}")
    return 0


def _plain(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def run_replay(args: argparse.Namespace) -> int:
    """Replay the stored decisions under the new policy and print the report."""
    config = config_of(args)
    compiled = load_compiled(args.policy)
    store = open_store_at(config.database_url)
    since = datetime.combine(args.since, datetime.min.time(), timezone.utc) if args.since else None
    try:
        with store.read() as session:  # rolled back at the end: replay never writes
            stored = (StoredDecision(r.id, r.kind, r.policy_version, r.facts, r.result)
                      for r in iter_decisions(session, since=since, kinds=tuple(args.kind) if args.kind else None,
                                                  decided_by=ENGINE))  # people's reviews are not the policy's to replay
            report = replay(compiled, stored)
    finally:
        store.close()
        compiled.close()
    if args.json:
        print_json(report_json(report))
    else:
        print(report_text(report, since=args.since))
    return 0


def report_json(report: ReplayReport) -> dict:
    """The report as JSON-ready data."""
    return {
        "new_version": report.new_version,
        "decisions": report.total,
        "unchanged": report.unchanged,
        "same_outcome_other_rule": report.rule_only,
        "changed": report.changed,
        "failed": report.failed,
        "failed_samples": report.failed_samples,
        "old_versions": dict(report.old_versions),
        "money": {k: float(v) for k, v in report.money().items()},
        "groups": [{"kind": g.kind, "old": g.old, "new": g.new, "count": g.count, "money": {k: float(v) for k, v in g.money.items()},
                    "samples": g.samples} for g in sorted(report.groups.values(), key=lambda g: (-g.count, g.kind, g.old, g.new))],
    }


def _signed(amount: Decimal) -> str:
    return ("+" if amount > 0 else "-" if amount < 0 else "") + money(abs(amount))


def report_text(report: ReplayReport, *, since: date | None = None) -> str:
    """The report for people."""
    scope = f" since {since.isoformat()}" if since else ""
    versions = ", ".join(f"{v} ({n})" for v, n in report.old_versions.most_common())
    lines = [f"Replayed {report.total} stored decisions{scope} under {report.new_version}.",
             f"  made under: {versions or 'none'}",
             f"  unchanged: {report.unchanged}" + (f" ({report.rule_only} by another rule)" if report.rule_only else ""),
             f"  changed:   {report.changed}"]
    if report.failed:
        lines.append(f"  could not be decided again: {report.failed} (e.g. {'; '.join(report.failed_samples)})")
    for g in sorted(report.groups.values(), key=lambda g: (-g.count, g.kind, g.old, g.new)):
        impact = ", ".join(f"{name.replace('_', ' ')}s {_signed(v)}" for name, v in g.money.items() if v)
        lines.append(f"  {g.kind}: {g.old} -> {g.new}: {g.count}" + (f"; {impact}" if impact else "")
                     + f"; e.g. {', '.join(g.samples)}")
    total = report.money()
    lines.append("Money impact: " + ", ".join(f"{name.replace('_', ' ')}s {_signed(total[name])}" for name in MONEY_FIELDS))
    return "\n".join(lines)
