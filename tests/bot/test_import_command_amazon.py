"""`refundbot import` with Amazon reports whose header is not recognised, mixed with other files, or a directory:
each file's own error, located. With --seller a report whose header was not recognised was read as JSON Lines
("import reads .jsonl and .csv files"), and made a good report beside it the one named in the error."""
from __future__ import annotations

from ..store.amazon_files import RETURNS_SAMPLE, table, write
from ..store.test_import import RECORDS, write_jsonl
from .test_store_commands import config, run  # noqa: F401 - the fixture


def _reports(tmp_path) -> tuple[str, str]:
    header, lines = table(RETURNS_SAMPLE)
    good = write(tmp_path / "returns.txt", header, lines)
    bad = write(tmp_path / "misspelt.txt", ["Ordr ID" if h == "Order ID" else h for h in header], lines)
    return good, bad


def test_with_seller_every_file_is_an_amazon_report_with_its_own_error(config, store, tmp_path, capsys):  # noqa: F811
    good, bad = _reports(tmp_path)
    assert run(config, "import", "--seller", "S1", good, bad) == 1
    out, err = capsys.readouterr()
    assert f"imported {good}: amazon-returns" in out  # one transaction per file: the good one stays
    assert f"{bad}:1: cannot tell the report from its header" in err and f"nothing was imported from {bad}" in err
    assert run(config, "import", "--seller", "S1", str(tmp_path)) == 1
    assert f"{tmp_path} is a directory: name the Amazon report files" in capsys.readouterr().err


def test_an_amazon_report_among_json_lines_is_named(config, store, tmp_path, capsys):  # noqa: F811
    good, _ = _reports(tmp_path)
    records = write_jsonl(tmp_path / "records.jsonl", RECORDS)
    assert run(config, "import", str(records), good) == 1
    assert f"{good} is an Amazon report: import Amazon reports with --seller SELLER_ID" in capsys.readouterr().err
