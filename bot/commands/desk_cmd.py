"""`refundbot queue [--overdue]` and `refundbot case ID`: the review desk for operators."""
from __future__ import annotations

import argparse
from datetime import datetime, timedelta, timezone

from bot.cli import CliError
from bot.flows.agent import age, describe
from bot.format import money
from bot.texts import label, text
from store import NotFound, case_detail, list_cases

from .common import config_of, open_store_at, print_json


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `queue` and `case` commands."""
    queue = sub.add_parser("queue", help="the open review cases, oldest first (escalations, appeals, claims)")
    queue.add_argument("--overdue", action="store_true", help="only cases open longer than desk.overdue_hours")
    queue.add_argument("--json", action="store_true", help="print the cases as JSON")
    queue.set_defaults(handler=show_queue)
    case = sub.add_parser("case", help="one review case in full",
                          description="Facts, the decision under review, the order, the buyer's recent returns, history.")
    case.add_argument("case_id", metavar="ID")
    case.set_defaults(handler=show_case)


def show_queue(args: argparse.Namespace) -> int:
    """Print the open cases (or only the overdue ones)."""
    config = config_of(args)
    now = datetime.now(timezone.utc)
    after = timedelta(hours=config.desk.overdue_hours)
    store = open_store_at(config.database_url)
    try:
        with store.read() as session:
            cases = list_cases(session, status="open", opened_before=now - after if args.overdue else None, limit=1000)
    finally:
        store.close()
    if args.json:
        print_json([{"case_id": c.case_id, "kind": c.kind, "opened_at": c.opened_at.isoformat(), "overdue": c.overdue(now, after),
                     "age_hours": round(c.age(now).total_seconds() / 3600, 1), "order_item_id": c.order_item_id,
                     "buyer_id": c.buyer_id, "seller_id": c.seller_id, "decision_id": c.decision_id} for c in cases])
        return 0
    if not cases:
        print("No overdue cases." if args.overdue else "No open cases.")
        return 0
    print(f"{len(cases)} {'overdue' if args.overdue else 'open'} case(s), oldest first (overdue after {config.desk.overdue_hours} h):")
    for c in cases:
        flag = "  OVERDUE" if c.overdue(now, after) else ""
        print(f"  {c.case_id}  {text('en', f'case_kind_{c.kind}'):<25} {age(c.age(now)):>12}  {c.product_name} {money(c.price)}"
              f"  buyer {c.buyer_id}, seller {c.seller_id}{flag}")
    return 0


def show_case(args: argparse.Namespace) -> int:
    """Print one case in full."""
    config = config_of(args)
    store = open_store_at(config.database_url)
    try:
        with store.read() as session:
            detail = case_detail(session, case_id=args.case_id)
    except NotFound:
        raise CliError(f"no case {args.case_id!r}") from None
    finally:
        store.close()
    print(describe(detail, t=lambda key, **values: text("en", key, **values), label=lambda code: label("en", code),
                   now=datetime.now(timezone.utc), overdue_after=timedelta(hours=config.desk.overdue_hours)))
    for file_id in detail.photos:
        print(f"  photo: {file_id}")
    return 0
