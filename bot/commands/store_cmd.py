"""`refundbot import`, `refundbot demo` and `refundbot seller tier`: the store with the engine."""
from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date, datetime, timezone

from bot.cli import CliError
from bot.records import decision_record, request_refund
from rules import CompiledPolicy
from store import (
    ImportFailed, NotFound, StoreError, all_tier_facts_for, buyer_order_items, claim_facts_for, file_claim, import_paths,
    import_records, log_decision, record_return_delivery, sqlite_path,
    tier_facts_for,
)
from store.amazon import FORMATS as AMAZON_FORMATS, import_amazon_report, report_format
from store.demo import BUYER_PROFILES, BUYERS, SELLERS, demo_plan

from .common import iso_date, config_of, load_compiled, open_store_at, print_json


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `import`, `demo` and `seller` commands."""
    imp = sub.add_parser("import", help="load JSON Lines or CSV records into the store (see docs/import.md)",
                         description="Imports every PATH (a .jsonl file, a CSV file named after its type such as "
                         "orders.csv, or a directory of them) in one transaction: a bad record stops the import with "
                         "PATH:LINE: message and nothing is written. Importing the same data again changes nothing.")
    imp.add_argument("paths", nargs="+", metavar="PATH")
    imp.add_argument("--format", choices=AMAZON_FORMATS, help="an Amazon report (default: told by the header); "
                     "each report file is imported in its own transaction")
    imp.add_argument("--seller", metavar="SELLER_ID", help="the seller whose Amazon report it is (needed for Amazon reports)")
    imp.set_defaults(handler=run_import)
    demo = sub.add_parser("demo", help="(re)create the embedded SQLite database with demo data")
    demo.set_defaults(handler=run_demo)
    seller = sub.add_parser("seller", help="seller questions answered from the store")
    actions = seller.add_subparsers(dest="seller_command", metavar="ACTION", parser_class=type(seller))
    actions.required = True
    tier = actions.add_parser("tier", help="decide a seller's reward tier from their records and log it",
                              description="Prints the tier decision as JSON: the fields of `refundbot decide tier` "
                              "plus seller_id, as_of and decision_id.")
    tier.add_argument("seller_id", metavar="SELLER_ID")
    tier.add_argument("--as-of", type=iso_date, metavar="YYYY-MM-DD", help="last day of the metrics window (default: today, UTC)")
    tier.set_defaults(handler=run_seller_tier)


def run_import(args: argparse.Namespace) -> int:
    """Import the files; print a summary, or `PATH:LINE: message` and exit 1."""
    if args.format or args.seller:  # only Amazon reports take them: their header is checked file by file
        return run_amazon_import(args)
    reports = [p for p in args.paths if _is_amazon(p)]
    if reports and len(reports) == len(args.paths):
        return run_amazon_import(args)  # says --seller is needed
    if reports:
        raise CliError(f"{reports[0]} is an Amazon report: import Amazon reports with --seller SELLER_ID, "
                       "apart from JSON Lines and CSV files")
    store = open_store_at(config_of(args).database_url)
    started = time.perf_counter()
    try:
        with store.write() as session:
            report = import_paths(session, paths=args.paths)
    except ImportFailed as exc:
        print(exc, file=sys.stderr)
        print("nothing was imported", file=sys.stderr)
        return 1
    except StoreError as exc:
        raise CliError(str(exc)) from None
    finally:
        store.close()
    seconds = time.perf_counter() - started
    print(f"imported {report.summary()} in {seconds:.2f} s ({report.total / max(seconds, 1e-9):,.0f} records/s)")
    return 0


def _is_amazon(path: str) -> bool:
    """Whether the path is a file with an Amazon report's header."""
    try:
        return os.path.isfile(path) and not path.endswith((".jsonl", ".ndjson", ".csv")) and report_format(path) is not None
    except ImportFailed:
        return False


def run_amazon_import(args: argparse.Namespace) -> int:
    """Import Amazon reports, one transaction per file; `PATH:LINE: column: message` and exit 1 on a bad line."""
    if not args.seller:
        raise CliError("an Amazon report does not name its seller: add --seller SELLER_ID")
    store = open_store_at(config_of(args).database_url)
    try:
        for path in args.paths:
            if os.path.isdir(path):
                raise CliError(f"{path} is a directory: name the Amazon report files")
            started = time.perf_counter()
            try:
                with store.write() as session:
                    done = import_amazon_report(session, path=path, seller_id=args.seller, fmt=args.format)
            except ImportFailed as exc:
                print(exc, file=sys.stderr)
                print(f"nothing was imported from {path}", file=sys.stderr)
                return 1
            except (StoreError, OSError) as exc:
                raise CliError(str(exc)) from None
            seconds = time.perf_counter() - started
            print(f"imported {done.summary()} in {seconds:.2f} s ({done.counts.lines / max(seconds, 1e-9):,.0f} lines/s)")
    finally:
        store.close()
    return 0


def run_seller_tier(args: argparse.Namespace) -> int:
    """Decide one seller's tier from the store, log the decision and print it as JSON."""
    config = config_of(args)
    compiled = load_compiled(config.policy_path)
    store = open_store_at(config.database_url)
    as_of = args.as_of or datetime.now(timezone.utc).date()
    try:
        with store.write() as session:
            facts = tier_facts_for(session, seller_id=args.seller_id, as_of=as_of, window_days=compiled.policy.rewards.window_days)
            decision = compiled.decide_tier(facts)
            decision_id = log_decision(session, record=decision_record(
                decision, decided_at=datetime.now(timezone.utc), channel="cli", seller_id=args.seller_id))
    except NotFound:
        raise CliError(f"no seller {args.seller_id!r} in the store ({config.database_url})") from None
    finally:
        store.close()
        compiled.close()
    print_json({**decision.to_dict(), "seller_id": args.seller_id, "as_of": as_of.isoformat(), "decision_id": decision_id})
    return 0


def run_demo(args: argparse.Namespace) -> int:
    """Recreate the embedded SQLite database with demo data decided by the real engine; print a summary."""
    config = config_of(args)
    path = sqlite_path(config.database_url)
    if path is None:
        raise CliError(f"demo recreates the embedded SQLite database, but the configured database is {config.database_url}; "
                       "point database.url (or REFUNDBOT_DATABASE_URL) at a sqlite:/// file")
    compiled = load_compiled(config.policy_path)
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    store = open_store_at(config.database_url, create_folder=True)
    today = datetime.now(timezone.utc).date()
    try:
        with store.write() as session:
            seed_demo(session, compiled, today)
        with store.read() as session:
            tiers = all_tier_facts_for(session, as_of=today, window_days=compiled.policy.rewards.window_days)
            items = {buyer: buyer_order_items(session, buyer_id=buyer, limit=3) for buyer in list(BUYERS)[:3]}
    finally:
        store.close()
    print(f"demo database: {path} (policy {compiled.version}, as of {today})")
    for seller in SELLERS:
        decision = compiled.decide_tier(tiers[seller.id])
        print(f"  seller {seller.id} {seller.name}: tier {decision.details['tier']} ({decision.rule})")
    for buyer, listed in items.items():
        shown = ", ".join(f"{i.order_item_id} {i.category} ${i.price}" for i in listed)
        print(f"  buyer {buyer} {BUYERS[buyer]}: {shown}")
    profiles = ", ".join(f"{buyer} {BUYERS[buyer]} ({', '.join((country, *tags))})" for buyer, (country, tags) in BUYER_PROFILES.items())
    print(f"  policy language 2 (docs/store.md): seller S9's final-sale products; buyers {profiles}")
    cli = "refundbot" + (f" --config {args.config}" if getattr(args, "config", None) else "")
    print(f"chat as one of them: {cli} chat --as buyer:B1 (or seller:S9, buyer:B7, admin); "
          f"a seller's tier as JSON: {cli} seller tier S2")
    compiled.close()
    return 0


def seed_demo(session, compiled: CompiledPolicy, today: date) -> None:
    """Import the demo data of `today` and decide its refund requests and claims with `compiled` (or a LivePolicy)."""
    plan = demo_plan(today)
    import_records(session, records=plan.records, source="demo")
    _decide_requests(session, compiled, plan.requests)


def _decide_requests(session, compiled: CompiledPolicy, requests) -> None:
    """Decide each demo refund request (and its claim) with the engine and record it through the store."""
    for request in requests:
        _, _, done = request_refund(session, compiled.decide_refund, order_item_id=request.order_item_id, reason=request.reason,
                                    condition=request.condition, at=request.requested_at, channel="cli")
        if request.return_delivered_at is not None:
            record_return_delivery(session, return_request_id=done.return_request_id, delivered_at=request.return_delivered_at,
                                   condition_received=request.condition_received)
        if request.claim is not None and done.refund_id is not None:
            claim = request.claim
            facts = claim_facts_for(session, refund_id=done.refund_id, reason=claim.reason, evidence=claim.evidence, as_of=claim.filed_at)
            file_claim(session, refund_id=done.refund_id, reason=claim.reason, evidence=claim.evidence, filed_at=claim.filed_at,
                       decision=decision_record(compiled.decide_claim(facts), decided_at=claim.filed_at, channel="cli"))
