"""The claim finder end to end, on SQLite and PostgreSQL: generated Amazon reports in, `refundbot claims
find` out, matching the generator's truth."""
from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from bench.amazon_reports import generate
from bot.cli import main
from bot.claim_finder import find_for_seller
from policy import load_policy
from rules import compile_policy
from store import NotFound
from store.amazon import import_amazon_report

AMAZON = str(Path(__file__).resolve().parents[2] / "policy" / "amazon-2026.yaml")
AS_OF = datetime(2026, 11, 30, 12, tzinfo=timezone.utc)
WHY = {"refund_issuer": "seller_issued", "a_to_z_claim": "a_to_z", "filing_window": "outside_window"}


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("amazon")
    generate(out, sellers=2, orders=400, seed=7, as_of=AS_OF.date())
    return out


@pytest.fixture(scope="module")
def amazon():
    compiled = compile_policy(load_policy(AMAZON))
    yield compiled
    compiled.close()


def _load(store, reports: Path) -> None:
    for seller in ("S1", "S2"):
        for kind in ("orders", "returns"):
            with store.write() as session:
                import_amazon_report(session, path=str(reports / f"{seller}.{kind}.txt"), seller_id=seller)


def test_generated_reports_in_the_finder_out_matches_the_generator(store, reports, amazon):
    _load(store, reports)
    truth = [json.loads(line) for line in open(reports / "truth.jsonl")]
    statuses = set()
    for seller in ("S1", "S2"):
        with store.read() as session:
            found = find_for_seller(session, amazon, seller_id=seller, as_of=AS_OF)
        got = {c.refund_id: {"status": "claimable", "reason": c.reason, "deadline": c.deadline.isoformat(), "days_left": c.days_left,
                             "missing": list(c.missing_evidence), "reimbursement": str(c.reimbursement)} for c in found.claimable}
        got |= {n.refund_id: {"status": WHY.get(n.why, n.why)} for n in found.not_claimable}
        expected = {t["refund_id"]: {k: v for k, v in t.items() if k not in ("seller", "refund_id")
                                     and (t["status"] == "claimable" or k == "status")}
                    for t in truth if t["seller"] == seller}
        assert got == expected
        statuses |= {v["status"] for v in got.values()}
    assert statuses == {"claimable", "too_early", "outside_window", "seller_issued", "a_to_z", "auto_refund_late",
                        "marketplace_fulfilled", "already_claimed"}


def test_an_unknown_seller_is_not_found(store, amazon):
    with store.read() as session, pytest.raises(NotFound):
        find_for_seller(session, amazon, seller_id="S404", as_of=AS_OF)


def test_claims_find_on_the_command_line(store, store_url, reports, tmp_path, capsys):
    _load(store, reports)
    config = tmp_path / "config.yaml"
    config.write_text(f"mode: demo\npolicy: {AMAZON}\ndatabase:\n  url: {store_url}\n")
    assert main(["--config", str(config), "claims", "find", "S1", "--as-of", "2026-11-30", "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    claimable = [r for r in rows if r["status"] == "claimable"]
    assert claimable and [r["deadline"] for r in claimable] == sorted(r["deadline"] for r in claimable)
    assert {r["reason"] for r in rows if r["status"] == "not_claimable"} >= {"refund_issuer", "already_claimed"}
    assert main(["--config", str(config), "claims", "find", "S1", "--as-of", "2026-11-30"]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"Seller S1 on 2026-11-30 (policy amazon-2026.05+") and "refunds can be claimed for about $" in text
    assert "the soonest deadline is " + claimable[0]["deadline"] in text
    assert main(["--config", str(config), "claims", "find", "S404"]) == 1
    assert "no seller 'S404'" in capsys.readouterr().err
