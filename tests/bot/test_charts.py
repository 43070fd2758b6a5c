"""The tier chart: a PNG of VTR, APRL and CPU week by week against the thresholds, and the tier over time."""
from __future__ import annotations

import io
import struct
from datetime import date, timedelta

from bot import charts
from bot.charts import DPI, HEIGHT_IN, WIDTH_IN, Thresholds, WeekPoint, drawn, is_recipe, tier_chart, tier_chart_recipe
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


def test_a_recipe_draws_the_same_png_as_the_chart_itself():
    weeks = [WeekPoint(date(2026, 11, 20) - timedelta(weeks=2 - i), 0.9 + i / 70, None if i == 1 else 1 / 3, 0.004 * i, "Gold")
             for i in range(3)]
    recipe = tier_chart_recipe(weeks, THRESHOLDS, title="Recipe")
    assert is_recipe(recipe) and not is_recipe(b"\x89PNG\r\n") and drawn(b"%PDF-1.4") == b"%PDF-1.4"
    assert drawn(recipe) == tier_chart(weeks, THRESHOLDS, title="Recipe")  # exact floats: the same picture


def test_tier_does_not_draw_in_its_handling_transaction_the_chart_is_drawn_when_read(outdoor, monkeypatch):
    def not_now(*_args):
        raise AssertionError("drawn while the update was handled")

    monkeypatch.setattr(charts, "_drawn", not_now)
    [reply] = outdoor.say("/tier")  # handled and committed without drawing
    assert is_recipe(reply.attachment.data)  # what the outbox stores; its sender draws it
    monkeypatch.undo()
    assert png_size(reply.attachment.content) == EXPECTED
