"""Return analytics for a seller or the marketplace: rates from the store's aggregates, the refund
decisions the policy in force would decide differently (a replay), as text, CSV rows or a chart."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from rules import CompiledPolicy
from rules.replay import ReplayReport, StoredDecision, replay
from rules.text import words
from store.returns_report import ReturnStats, refund_decisions, return_stats

from .format import money

CHART_CATEGORIES = 5


@dataclass(frozen=True)
class ReturnsReport:
    """The aggregates and the replay, for `seller_id` (None: the marketplace) from `since`."""

    stats: ReturnStats
    replayed: ReplayReport

    @property
    def who(self) -> str:
        """"seller S1" or "the marketplace"."""
        return f"seller {self.stats.seller_id}" if self.stats.seller_id else "the marketplace"


def rate(returns: int, units: int) -> float | None:
    """Returns per unit sold, or None without sales."""
    return returns / units if units else None


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def build(session: Session, compiled: CompiledPolicy, *, seller_id: str | None, since: date) -> ReturnsReport:
    """Aggregate the returns and replay the refund decisions from `since` under `compiled`."""
    stats = return_stats(session, seller_id=seller_id, since=since)
    stored = (StoredDecision(d.id, d.kind, d.policy_version, d.facts, d.result)
              for d in refund_decisions(session, seller_id=seller_id, since=since))
    return ReturnsReport(stats, replay(compiled, stored))


def csv_rows(report: ReturnsReport) -> list[dict[str, str]]:
    """Long-format rows: section, month, key, units, returns, rate, amount."""
    s = report.stats
    rows = []

    def add(section: str, month: str, key: str, units: int | None, returns: int | None, amount: Decimal | None = None) -> None:
        r = rate(returns or 0, units or 0) if units is not None and returns is not None else None
        rows.append({"section": section, "month": month, "key": key, "units": "" if units is None else str(units),
                     "returns": "" if returns is None else str(returns), "rate": "" if r is None else f"{r:.4f}",
                     "amount": "" if amount is None else str(amount)})

    for month in s.months:
        add("total", month, "", s.units.get(month, 0), s.returns.get(month, 0))
    for (month, reason), count in sorted(s.returns_by_reason.items()):
        add("reason", month, reason, s.units.get(month, 0), count)
    for month, category in sorted(set(s.units_by_category) | set(s.returns_by_category)):
        add("category", month, category, s.units_by_category.get((month, category), 0), s.returns_by_category.get((month, category), 0))
    for month, sku in sorted(set(s.units_by_sku) | set(s.returns_by_sku)):
        add("sku", month, sku, s.units_by_sku.get((month, sku), 0), s.returns_by_sku.get((month, sku), 0))
    for seller, sku, name, count, amount in s.top_refunded:
        add("top_refunded", "", f"{seller}:{sku}", None, count, amount)
    for group in report.replayed.groups.values():
        add("decided_differently", "", f"{group.old}->{group.new}", None, group.count, group.money["refund_amount"])
    return rows


CSV_COLUMNS = ("section", "month", "key", "units", "returns", "rate", "amount")


def text(report: ReturnsReport, *, policy_version: str) -> str:
    """The report as plain text tables."""
    s = report.stats
    months = s.months
    lines = [f"Returns for {report.who} since {s.since} (policy {policy_version})", "",
             f"{'month':8}  {'units':>9}  {'returns':>8}  {'rate':>6}"]
    for month in months:
        lines.append(f"{month:8}  {s.units.get(month, 0):>9,}  {s.returns.get(month, 0):>8,}  "
                     f"{_pct(rate(s.returns.get(month, 0), s.units.get(month, 0))):>6}")

    def matrix(title: str, keys: list[str], returns: dict, units) -> None:
        lines.extend(["", title, f"{'':26}" + "".join(f"{m:>9}" for m in months)])
        for key in keys:
            lines.append(f"{words(key)[:26]:26}" + "".join(f"{_pct(rate(returns.get((m, key), 0), units(m, key))):>9}" for m in months))

    matrix("Return rate by reason (returns of the reason / units sold):", sorted({r for _, r in s.returns_by_reason}),
           s.returns_by_reason, lambda m, _: s.units.get(m, 0))
    matrix("Return rate by category:", sorted({c for _, c in s.units_by_category} | {c for _, c in s.returns_by_category}),
           s.returns_by_category, lambda m, c: s.units_by_category.get((m, c), 0))
    skus = sorted({k for _, k in s.units_by_sku} | {k for _, k in s.returns_by_sku})
    if skus:
        matrix("Return rate of the most returned SKUs:", skus, s.returns_by_sku, lambda m, k: s.units_by_sku.get((m, k), 0))
    lines.extend(["", "Top products by refunds paid:"])
    lines += [f"- {seller}:{sku} {name}: {count} refunds, {money(amount)}" for seller, sku, name, count, amount in s.top_refunded] or ["- none"]
    r = report.replayed
    lines.extend(["", f"Refund decisions the policy {r.new_version} would decide differently: {r.changed} of {r.total}"
                  + (f" ({r.failed} could not be replayed)" if r.failed else "")])
    for group in sorted(r.groups.values(), key=lambda g: -g.count):
        lines.append(f"- {words(group.old)} -> {words(group.new)}: {group.count} (refunds {money(group.money['refund_amount'])}), "
                     f"e.g. {', '.join(group.samples)}")
    return "\n".join(lines)


def chart(report: ReturnsReport) -> bytes:
    """A PNG: the monthly return rate overall and for the categories with the most returns."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    s = report.stats
    months = s.months
    totals: dict[str, int] = {}
    for (_, category), count in s.returns_by_category.items():
        totals[category] = totals.get(category, 0) + count
    top = sorted(totals, key=lambda c: (-totals[c], c))[:CHART_CATEGORIES]
    figure, axes = plt.subplots(figsize=(8, 4.5), dpi=100)
    try:
        def percent(values: list[float | None]) -> list[float]:
            return [float("nan") if v is None else v * 100 for v in values]

        axes.plot(months, percent([rate(s.returns.get(m, 0), s.units.get(m, 0)) for m in months]), marker="o", linewidth=2.5,
                  color="black", label="all returns")
        for category in top:
            axes.plot(months, percent([rate(s.returns_by_category.get((m, category), 0), s.units_by_category.get((m, category), 0))
                                       for m in months]), marker=".", label=words(category))
        axes.set_title(f"Return rate by month, {report.who}")
        axes.set_ylabel("returns per unit sold (%)")
        axes.grid(alpha=0.3)
        axes.legend(fontsize="small")
        figure.tight_layout()
        out = io.BytesIO()
        figure.savefig(out, format="png")
        return out.getvalue()
    finally:
        plt.close(figure)
