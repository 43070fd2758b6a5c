"""`refundbot import`, `demo` and `seller tier` against a real store, on SQLite and PostgreSQL."""
import json
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from bot.cli import main
from policy import DEFAULT_POLICY_PATH, load_policy
from rules import compile_policy
from store import claim_facts_for, get_decision, list_decisions, open_store, tier_facts
from store.models import Claim, Refund

from ..store.test_import import RECORDS, counts, write_jsonl

TODAY = datetime.now(timezone.utc).date()


@pytest.fixture
def config(tmp_path, store_url) -> str:
    path = tmp_path / "config.yaml"
    path.write_text(f"mode: demo\npolicy: {DEFAULT_POLICY_PATH}\ndatabase:\n  url: {store_url}\n")
    return str(path)


def run(config: str, *argv: str) -> int:
    return main(["--config", config, *argv])


def test_import_prints_a_summary_and_is_idempotent(config, store, tmp_path, capsys):
    path = write_jsonl(tmp_path / "data.jsonl", RECORDS)
    assert run(config, "import", path) == 0
    assert "imported 10 records: 10 new, 0 unchanged (seller 1, buyer 1, product 1, order 1, order_item 1" in capsys.readouterr().out
    assert run(config, "import", path) == 0
    assert "10 records: 0 new, 10 unchanged" in capsys.readouterr().out


def test_a_bad_import_names_the_line_and_writes_nothing(config, store, tmp_path, capsys):
    path = write_jsonl(tmp_path / "data.jsonl", RECORDS + [{"type": "buyer", "id": "B2"}])
    assert run(config, "import", path) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{path}:10: missing field 'name'\n")
    assert "nothing was imported" in err
    assert set(counts(store).values()) == {0}


def test_import_of_a_missing_file(config, store, tmp_path, capsys):
    assert run(config, "import", str(tmp_path / "nope.jsonl")) == 1
    assert "no such file" in capsys.readouterr().err


def test_seller_tier_prints_and_logs_the_decision(config, store, tmp_path, capsys):
    records = [{"type": "seller", "id": "S1", "name": "Acme"}, {"type": "buyer", "id": "B1", "name": "Ann"},
               {"type": "product", "id": "P1", "seller_id": "S1", "sku": "X", "name": "x", "category": "toys", "price": 5}]
    for n in range(120):
        records.append({"type": "order", "id": f"O{n}", "buyer_id": "B1", "seller_id": "S1", "fulfilment": "seller",
                        "placed_at": "2026-06-01T10:00:00Z", "items": [{"id": f"I{n}", "product_id": "P1", "quantity": 1,
                                                                        "unit_price": 5}]})
        records.append({"type": "shipment", "id": f"SH{n}", "order_id": f"O{n}", "carrier": "UPS", "tracking_valid": True,
                        "shipped_at": "2026-06-02T10:00:00Z"})
    records += [{"type": "contact", "id": f"C{n}", "order_id": f"O{n}", "contacted_at": "2026-06-05T10:00:00Z", "channel": "chat"}
                for n in range(9)]
    assert run(config, "import", write_jsonl(tmp_path / "s.jsonl", records)) == 0
    capsys.readouterr()
    assert run(config, "seller", "tier", "S1", "--as-of", "2026-06-30") == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["tier"], out["rule"], out["cpu"], out["seller_id"], out["as_of"]) == ("gold", "tier_gold", 0.075, "S1", "2026-06-30")
    # The same answer as `refundbot decide tier` gives for the same counts.
    compiled = compile_policy(load_policy(DEFAULT_POLICY_PATH))
    with store.read() as session:
        facts = tier_facts(session, seller_id="S1", as_of=date(2026, 6, 30), window_days=90)
        logged = get_decision(session, decision_id=out["decision_id"], seller_id="S1")
    expected = compiled.decide_tier(facts).to_dict()
    compiled.close()
    assert {k: out[k] for k in expected} == expected
    assert (logged.kind, logged.rule, logged.channel, logged.facts["units"], logged.result["tier"]) == ("tier", "tier_gold", "cli", 120, "gold")


def test_seller_tier_errors(config, store, capsys):
    assert run(config, "seller", "tier", "S404") == 1
    assert "no seller 'S404'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        run(config, "seller", "tier", "S1", "--as-of", "yesterday")
    assert exited.value.code == 2
    assert "'yesterday' is not a date in the form YYYY-MM-DD" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        run(config, "seller", "tier", "S1", "--as-of", "2026-02-30")
    assert "'2026-02-30' is not a day of the calendar: day is out of range for month" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        run(config, "seller", "tier", "S1", "--as-of", "2026-13-01")
    assert "'2026-13-01' is not a day of the calendar: month must be in 1..12" in capsys.readouterr().err


def test_demo_refuses_a_postgresql_database(tmp_path, capsys):
    path = tmp_path / "config.yaml"
    path.write_text("database:\n  url: postgresql://postgres@127.0.0.1:5432/test\n")
    assert main(["--config", str(path), "demo"]) == 1
    assert "demo recreates the embedded SQLite database" in capsys.readouterr().err


def test_demo_builds_sellers_in_different_tiers_and_claims_in_every_status(tmp_path, capsys):
    url = f"sqlite:///{tmp_path}/var/demo.sqlite3"
    config = tmp_path / "config.yaml"
    config.write_text(f"policy: {DEFAULT_POLICY_PATH}\ndatabase:\n  url: {url}\n")
    for _ in range(2):  # a second run recreates the same data
        assert main(["--config", str(config), "demo"]) == 0
        out = capsys.readouterr().out
    assert "seller S1 Northwind Outdoor: tier free (tier_free)" in out
    assert "seller S2 Bluebird Home: tier silver (tier_silver)" in out
    assert "seller S3 Quickship Gadgets: tier not_eligible (vtr_below_minimum)" in out
    assert "sleeping_bags" in out
    store = open_store(url)
    try:
        with store.read() as session:
            claims = session.scalars(select(Claim)).all()
            refunds = session.scalars(select(Refund)).all()
            assert set(c.status for c in claims) == {"approved", "denied", "needs_evidence", "pending"}
            assert len(refunds) == 14  # 7 of S1-S4's orders, 7 of S9's (store/demo.py, _Policy2)
            by_item = {r.order_item_id: r.id for r in refunds}
            chat_claims = {item: claim_facts_for(session, refund_id=by_item[item], reason="returned_damaged", evidence=["photo"],
                                                 as_of=datetime.now(timezone.utc))
                           for item in ("O9055-1", "O9056-1")}
            safet = [claim_facts_for(session, refund_id=by_item[item], reason="returned_damaged", evidence=["photo"],
                                     as_of=datetime.now(timezone.utc))["refunded_on"] for item in ("O9051-1", "O9052-1")]
            refund_decisions = list_decisions(session, seller_id="S1", kind="refund")
    finally:
        store.close()
    assert {d.rule for d in refund_decisions} == {"non_returnable_seller_fault", "approve_return", "damaged_batteries"}
    assert (chat_claims["O9055-1"]["a_to_z_claim"], chat_claims["O9056-1"]["fulfilled_by"]) == (True, "marketplace")
    assert [day.isoformat() for day in safet] == ["2026-02-10", "2026-02-18"]  # either side of SAFE-T's 2026-02-16
    assert all(d.policy_version.startswith("2026.11-1+") for d in refund_decisions)
    assert TODAY.isoformat() in out


def test_a_database_in_a_missing_folder_is_refused_not_created(tmp_path, capsys):
    config = tmp_path / "config.yaml"
    config.write_text(f"policy: {DEFAULT_POLICY_PATH}\ndatabase:\n  url: sqlite:///{tmp_path}/typo/refundbot.sqlite3\n")
    assert main(["--config", str(config), "seller", "tier", "S1"]) == 1
    assert f"the folder {tmp_path / 'typo'} does not exist" in capsys.readouterr().err
    assert not (tmp_path / "typo").exists()


def test_import_reads_amazon_reports_one_transaction_per_file(config, store, tmp_path, capsys):
    from ..store.amazon_files import ORDERS_SAMPLE, RETURNS_SAMPLE, table, with_cell, write
    orders = write(tmp_path / "orders.txt", *table(ORDERS_SAMPLE))
    returns = write(tmp_path / "returns.txt", *table(RETURNS_SAMPLE))
    assert run(config, "import", orders, returns) == 1
    assert "an Amazon report does not name its seller: add --seller SELLER_ID" in capsys.readouterr().err
    assert run(config, "import", "--seller", "S9", orders, returns) == 0
    out = capsys.readouterr().out
    assert f"imported {orders}: amazon-orders: 4 lines, 3 order lines (3 new, 0 already stored)" in out
    assert f"imported {returns}: amazon-returns: 3 lines, 3 returns (3 new, 0 already stored), 3 refunds, 1 SAFE-T claims" in out
    bad = write(tmp_path / "bad.txt", *with_cell(RETURNS_SAMPLE, 3, "Order date", "soon"))
    assert run(config, "import", "--seller", "S9", "--format", "amazon-returns", bad) == 1
    err = capsys.readouterr().err
    assert f"{bad}:3: Order date: is not a date or time Amazon writes: 'soon'" in err
    assert f"nothing was imported from {bad}" in err
