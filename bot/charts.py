"""Charts people would rather look at than read: the seller's tier metrics week by week (matplotlib, PNG)."""
from __future__ import annotations

import io
import json
import threading
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

WIDTH_IN, HEIGHT_IN, DPI = 8, 7, 100  # an 800x700 px PNG, readable on a phone
CACHED_CHARTS = 64  # drawing one takes 0.3-0.8 s of CPU; a PNG is ~60 KB
# A chart travels as its recipe (these bytes, then JSON: the few numbers it shows) and is drawn where the file is
# needed: by the outbox sender, or when a reply's attachment is read (bot.messages.Attachment.content). So the
# handling transaction, which computes the numbers, never holds its locks (SQLite's one write lock) while drawing.
RECIPE = b"refundbot-chart/1\n"
# One drawing at a time in a process: matplotlib holds the GIL for most of a drawing, and a sender that sends several
# charts at once (one task a chat, each in a thread) would otherwise starve the event loop and the workers.
_ONE_AT_A_TIME = threading.Lock()


@dataclass(frozen=True)
class WeekPoint:
    """One week on the chart: its last day, the week's ratios (None: nothing to measure) and the tier at its end."""

    last_day: date
    vtr: float | None
    aprl: float | None
    cpu: float | None
    tier: str


@dataclass(frozen=True)
class Thresholds:
    """The policy's lines: VTR and APRL minimums, and each tier's highest CPU (None for the unbounded last tier)."""

    min_vtr: float
    min_aprl: float
    tier_max_cpu: tuple[tuple[str, float | None], ...]
    tier_order: tuple[str, ...]  # worst first, as the y axis of the tier panel


def _series(values: list[float | None]) -> list[float]:
    return [float("nan") if v is None else v * 100 for v in values]


def tier_chart(weeks: list[WeekPoint], thresholds: Thresholds, *, title: str) -> bytes:
    """Three panels (VTR and APRL, CPU, tier) over the weeks, as PNG bytes."""
    return _drawn(tuple(weeks), thresholds, title)


def tier_chart_recipe(weeks: list[WeekPoint], thresholds: Thresholds, *, title: str) -> bytes:
    """The tier chart as its recipe, to be drawn later (`drawn`) into the same PNG as `tier_chart` gives."""
    return RECIPE + json.dumps({
        "chart": "tier", "title": title,
        "weeks": [[w.last_day.isoformat(), w.vtr, w.aprl, w.cpu, w.tier] for w in weeks],
        "thresholds": {"min_vtr": thresholds.min_vtr, "min_aprl": thresholds.min_aprl,
                       "tier_max_cpu": [list(pair) for pair in thresholds.tier_max_cpu],
                       "tier_order": list(thresholds.tier_order)},
    }, ensure_ascii=False).encode()


def is_recipe(content: bytes) -> bool:
    """Whether a file's content is a chart still to be drawn."""
    return content.startswith(RECIPE)


def drawn(content: bytes) -> bytes:
    """A file's bytes: a chart's recipe drawn into its PNG, anything else as it is."""
    if not is_recipe(content):
        return content
    recipe = json.loads(content[len(RECIPE):])
    if recipe.get("chart") != "tier":
        raise ValueError(f"unknown chart {recipe.get('chart')!r}")
    t = recipe["thresholds"]
    thresholds = Thresholds(min_vtr=t["min_vtr"], min_aprl=t["min_aprl"],
                            tier_max_cpu=tuple((name, limit) for name, limit in t["tier_max_cpu"]), tier_order=tuple(t["tier_order"]))
    weeks = [WeekPoint(date.fromisoformat(day), vtr, aprl, cpu, tier) for day, vtr, aprl, cpu, tier in recipe["weeks"]]
    with _ONE_AT_A_TIME:
        return tier_chart(weeks, thresholds, title=recipe["title"])


@lru_cache(maxsize=CACHED_CHARTS)
def _drawn(weeks: tuple[WeekPoint, ...], thresholds: Thresholds, title: str) -> bytes:
    # The PNG is a pure function of what it shows: a seller asking again with nothing new gets the same bytes at once.
    from matplotlib.figure import Figure  # imported on first use: it takes a moment to load

    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, layout="constrained")
    rates, cpu, tiers = figure.subplots(3, 1, sharex=True, height_ratios=(3, 3, 2))
    days = [w.last_day for w in weeks]
    figure.suptitle(title)

    rates.plot(days, _series([w.vtr for w in weeks]), marker="o", color="tab:blue", label="Valid Tracking Rate")
    rates.plot(days, _series([w.aprl for w in weeks]), marker="s", color="tab:green", label="Prepaid return labels")
    rates.axhline(thresholds.min_vtr * 100, color="tab:blue", linestyle="--", linewidth=1, label=f"VTR minimum {thresholds.min_vtr:.0%}")
    rates.axhline(thresholds.min_aprl * 100, color="tab:green", linestyle=":", linewidth=1,
                  label=f"APRL minimum {thresholds.min_aprl:.0%}")
    rates.set_ylabel("% of the week")
    rates.set_ylim(-5, 105)
    rates.legend(loc="lower left", fontsize=7, ncols=2)

    cpu.plot(days, _series([w.cpu for w in weeks]), marker="o", color="tab:red", label="Contacts Per Unit")
    for name, limit in thresholds.tier_max_cpu:
        if limit is not None:
            cpu.axhline(limit * 100, color="grey", linestyle="--", linewidth=1)
            cpu.annotate(f"{name} up to {limit:.1%}", (0, limit * 100), xycoords=("axes fraction", "data"), fontsize=7,
                         color="grey", va="bottom")
    cpu.set_ylabel("contacts per 100 units")
    cpu.set_ylim(bottom=0)
    cpu.legend(loc="upper right", fontsize=7)

    levels = {name: i for i, name in enumerate(thresholds.tier_order)}
    tiers.step(days, [levels.get(w.tier, 0) for w in weeks], where="post", marker="o", color="tab:purple")
    tiers.set_yticks(range(len(thresholds.tier_order)), thresholds.tier_order, fontsize=8)
    tiers.set_ylim(-0.5, len(thresholds.tier_order) - 0.5)
    tiers.set_ylabel("tier")
    tiers.set_xlabel("week ending")
    for axis in (rates, cpu, tiers):
        axis.grid(True, alpha=0.3)
    tiers.tick_params(axis="x", labelrotation=30, labelsize=8)

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
