"""The tier chart: a PNG of VTR, APRL and CPU week by week against the thresholds, and the tier over time."""
from __future__ import annotations

import io
import struct
from datetime import date, timedelta

from bot.charts import DPI, HEIGHT_IN, WIDTH_IN, Thresholds, WeekPoint, tier_chart
from bot.terminal import Terminal
from store import Identity


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    return struct.unpack(">II", png[16:24])


EXPECTED = (WIDTH_IN * DPI, HEIGHT_IN * DPI)
THRESHOLDS = Thresholds(0.95, 0.9, (("Free", 0.005), ("Gold", 0.01), ("Silver", None)), ("Not eligible", "Silver", "Gold", "Free"))


def test_a_chart_of_thirteen_weeks_with_gaps_is_a_png_of_the_expected_size():
    weeks = [WeekPoint(date(2026, 11, 20) - timedelta(weeks=12 - i), None if i == 3 else 0.9 + i / 200,
                       None if i % 4 else 1.0, 0.004 * (i % 3), "Gold" if i > 6 else "Not eligible") for i in range(13)]
    assert png_size(tier_chart(weeks, THRESHOLDS, title="Your metrics")) == EXPECTED


def test_a_seller_with_no_activity_still_gets_a_chart():
    weeks = [WeekPoint(date(2026, 11, 20), None, None, None, "Not eligible")]
    assert png_size(tier_chart(weeks, THRESHOLDS, title="Your metrics")) == EXPECTED


def test_tier_sends_the_chart_with_the_text(outdoor):
    [reply] = outdoor.say("/tier")
    assert "Your reward tier over the last 90 days" in reply.text
    assert reply.attachment.kind == "photo" and reply.attachment.filename == "tier-S1-2026-11-20.png"
    assert png_size(reply.attachment.content) == EXPECTED


def test_the_terminal_saves_the_chart_and_prints_its_path(service, tmp_path):
    terminal = Terminal(service, Identity(0, "seller", "S1"), files_dir=tmp_path)
    out = io.StringIO()
    terminal.run(io.StringIO("/tier\n"), out, prompt=False)
    saved = tmp_path / "tier-S1-2026-11-20.png"
    assert f"[photo saved to {saved}]" in out.getvalue() and png_size(saved.read_bytes()) == EXPECTED


def test_the_same_weeks_again_are_not_drawn_again_but_new_weeks_are():
    weeks = [WeekPoint(date(2026, 11, 20), 0.97, 0.95, 0.002, "Gold")]
    first = tier_chart(weeks, THRESHOLDS, title="Cached")
    assert tier_chart(list(weeks), THRESHOLDS, title="Cached") is first  # the PNG drawn before
    moved = [WeekPoint(date(2026, 11, 20), 0.97, 0.95, 0.003, "Gold")]
    assert tier_chart(moved, THRESHOLDS, title="Cached") is not first
    assert tier_chart(weeks, THRESHOLDS, title="Cached again") is not first
