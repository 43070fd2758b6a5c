"""`refundbot claims find SELLER`: the SAFE-T claim finder on the command line (table or CSV)."""
from __future__ import annotations

import argparse
import csv
import sys
from datetime import datetime, time, timezone

from bot.cli import CliError
from bot.format import money
from rules.finder import Findings
from rules.text import words
from store import NotFound

from .common import config_of, iso_date, load_compiled, open_store_at

CSV_COLUMNS = ("status", "refund_id", "order_id", "product", "refund_amount", "reason", "deadline", "days_left",
               "missing_evidence", "reimbursement", "rule", "explanation")


def register(sub: argparse._SubParsersAction) -> None:
    """Add `claims find`."""
    claims = sub.add_parser("claims", help="reimbursement claims a seller can still file")
    actions = claims.add_subparsers(dest="claims_command", metavar="ACTION", parser_class=type(claims))
    actions.required = True
    find = actions.add_parser("find", help="every refund the seller can still claim, deadline first, and why the others can't",
                              description="Decides each of the seller's recent refunds through the configured policy: the claim "
                              "reason that fits, the last day to file, days left, evidence still missing and the estimated "
                              "reimbursement; then the refunds that cannot be claimed, with the reason.")
    find.add_argument("seller_id", metavar="SELLER")
    find.add_argument("--csv", action="store_true", help="write CSV (one row per refund, claimable first)")
    find.add_argument("--as-of", type=iso_date, metavar="YYYY-MM-DD", help="the day to file on (default: now)")
    find.set_defaults(handler=run_find)


def run_find(args: argparse.Namespace) -> int:
    """Run the finder for one seller and print it."""
    from bot.claim_finder import find_for_seller

    config = config_of(args)
    compiled = load_compiled(config.policy_path)
    store = open_store_at(config.database_url)
    now = datetime.now(timezone.utc)
    as_of = now if args.as_of is None else datetime.combine(args.as_of, time(23, 59, 59), tzinfo=timezone.utc)
    try:
        with store.read() as session:
            findings = find_for_seller(session, compiled, seller_id=args.seller_id, as_of=as_of)
    except NotFound:
        raise CliError(f"no seller {args.seller_id!r} in the store ({config.database_url})") from None
    finally:
        store.close()
        compiled.close()
    (write_csv if args.csv else write_table)(findings)
    return 0


def rows(findings: Findings) -> list[dict[str, str]]:
    """One dict per refund, claimable first (deadline order), then the others."""
    out = [{"status": "claimable", "refund_id": c.refund_id, "order_id": c.order_id, "product": c.product_name,
            "refund_amount": str(c.refund_amount), "reason": c.reason, "deadline": c.deadline.isoformat(),
            "days_left": str(c.days_left), "missing_evidence": ";".join(c.missing_evidence), "reimbursement": str(c.reimbursement),
            "rule": c.rule, "explanation": c.explanation} for c in findings.claimable]
    out += [{"status": "not_claimable", "refund_id": n.refund_id, "order_id": n.order_id, "product": n.product_name,
             "refund_amount": str(n.refund_amount), "reason": n.why, "deadline": n.deadline.isoformat() if n.deadline else "",
             "days_left": "", "missing_evidence": "", "reimbursement": "0.00", "rule": n.rule or "", "explanation": n.explanation}
            for n in findings.not_claimable]
    return out


def write_csv(findings: Findings) -> None:
    """The findings as CSV on stdout."""
    writer = csv.DictWriter(sys.stdout, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows(findings))


def write_table(findings: Findings) -> None:
    """The findings as text: a summary line, the claimable refunds and the others."""
    soonest = findings.soonest
    print(f"Seller {findings.seller_id} on {findings.as_of} (policy {findings.policy_version}): "
          f"{len(findings.claimable)} refunds can be claimed for about {money(findings.total)}"
          + (f"; the soonest deadline is {soonest.deadline} ({soonest.refund_id})." if soonest else "."))
    if findings.claimable:
        print(f"\n{'deadline':10}  {'left':>4}  {'refund':34}  {'reason':24}  {'missing':17}  {'estimate':>10}")
        for c in findings.claimable:
            print(f"{c.deadline.isoformat():10}  {c.days_left:>4}  {c.refund_id:34}  {words(c.reason):24}  "
                  f"{', '.join(c.missing_evidence) or '-':17}  {money(c.reimbursement):>10}")
    if findings.not_claimable:
        print(f"\n{len(findings.not_claimable)} refunds cannot be claimed:")
        for n in findings.not_claimable:
            print(f"- {n.refund_id} ({money(n.refund_amount)}): {words(n.why)}: {n.explanation}")
