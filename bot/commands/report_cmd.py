"""`refundbot report returns [SELLER]`: return analytics as text, CSV or a PNG chart."""
from __future__ import annotations

import argparse
import csv
import sys
from datetime import datetime, timedelta, timezone

from bot.cli import CliError

from .common import config_of, iso_date, load_compiled, open_store_at

DEFAULT_DAYS = 180


def register(sub: argparse._SubParsersAction) -> None:
    """Add `report returns`."""
    report = sub.add_parser("report", help="analytics from the store")
    actions = report.add_subparsers(dest="report_command", metavar="REPORT", parser_class=type(report))
    actions.required = True
    returns = actions.add_parser("returns", help="return rates by reason, category and SKU, top refunded products, "
                                 "and the refund decisions today's policy would decide differently",
                                 description="For one seller, or the whole marketplace without SELLER.")
    returns.add_argument("seller_id", nargs="?", metavar="SELLER")
    returns.add_argument("--since", type=iso_date, metavar="YYYY-MM-DD", help=f"first day (default: {DEFAULT_DAYS} days ago)")
    form = returns.add_mutually_exclusive_group()
    form.add_argument("--csv", action="store_true", help="write CSV rows (section, month, key, units, returns, rate, amount)")
    form.add_argument("--png", metavar="PATH", help="write a chart of the monthly return rates to PATH")
    returns.set_defaults(handler=run_returns)


def run_returns(args: argparse.Namespace) -> int:
    """Build the returns report and print or write it."""
    from bot.returns_report import CSV_COLUMNS, build, chart, csv_rows, text
    from store.models import Seller

    config = config_of(args)
    compiled = load_compiled(config.policy_path)
    store = open_store_at(config.database_url)
    since = args.since or (datetime.now(timezone.utc).date() - timedelta(days=DEFAULT_DAYS))
    try:
        with store.read() as session:
            if args.seller_id is not None and session.get(Seller, args.seller_id) is None:
                raise CliError(f"no seller {args.seller_id!r} in the store ({config.database_url})")
            report = build(session, compiled, seller_id=args.seller_id, since=since)
    finally:
        store.close()
        compiled.close()
    if args.csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(csv_rows(report))
    elif args.png:
        try:
            with open(args.png, "wb") as out:
                out.write(chart(report))
        except OSError as exc:
            raise CliError(f"cannot write {args.png}: {exc.strerror}") from None
        print(f"wrote {args.png}")
    else:
        print(text(report, policy_version=report.replayed.new_version))
    return 0
