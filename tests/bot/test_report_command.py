"""`refundbot report returns [SELLER] [--since] [--csv|--png]` on SQLite and PostgreSQL."""
from __future__ import annotations

import csv
import io

from bot.cli import main
from policy import DEFAULT_POLICY_PATH

from ..store.test_returns_report import _shop


def test_report_returns_as_text_csv_and_png(store, store_url, tmp_path, capsys):
    _shop(store)
    config = tmp_path / "config.yaml"
    config.write_text(f"mode: demo\npolicy: {DEFAULT_POLICY_PATH}\ndatabase:\n  url: {store_url}\n")
    run = lambda *argv: main(["--config", str(config), "report", "returns", *argv])  # noqa: E731
    assert run("S1", "--since", "2026-08-01") == 0
    text = capsys.readouterr().out
    assert text.startswith("Returns for seller S1 since 2026-08-01 (policy ")
    assert "2026-10           3         2   66.7%" in text
    assert "- S1:SKU-P1 Product P1: 2 refunds, $50.00" in text
    assert "would decide differently: 0 of 0" in text
    assert run("--since", "2026-08-01", "--csv") == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {"section": "total", "month": "2026-10", "key": "", "units": "8", "returns": "3", "rate": "0.3750", "amount": ""} in rows
    assert {r["section"] for r in rows} == {"total", "reason", "category", "sku", "top_refunded"}
    png = tmp_path / "returns.png"
    assert run("S1", "--since", "2026-08-01", "--png", str(png)) == 0
    assert png.read_bytes().startswith(b"\x89PNG")
    assert run("S404") == 1
    assert "no seller 'S404'" in capsys.readouterr().err
