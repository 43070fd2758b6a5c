"""Amazon report files for tests: the samples in docs/import.md, and builders for variants of them."""
from __future__ import annotations

import re
from pathlib import Path

DOC = (Path(__file__).resolve().parents[2] / "docs" / "import.md").read_text()
SAMPLES = re.findall(r"```tsv\n(.*?)\n```", DOC, re.S)
ORDERS_SAMPLE, RETURNS_SAMPLE = SAMPLES


def table(sample: str) -> tuple[list[str], list[list[str]]]:
    """(header, lines) of a tab-separated sample."""
    header, *lines = sample.split("\n")
    return header.split("\t"), [line.split("\t") for line in lines]


def write(path: Path, header: list[str], lines: list[list[str]], newline: str = "\n", prefix: str = "") -> str:
    """Write a tab-separated report; returns its path as a string."""
    path.write_text(prefix + newline.join("\t".join(cells) for cells in [header, *lines]) + newline, encoding="utf-8")
    return str(path)


def with_cell(sample: str, line: int, column: str, value: str) -> tuple[list[str], list[list[str]]]:
    """The sample with one cell (`line` counts the header as 1, as error messages do) set to `value`."""
    header, lines = table(sample)
    lines = [list(cells) for cells in lines]
    lines[line - 2][header.index(column)] = value
    return header, lines
