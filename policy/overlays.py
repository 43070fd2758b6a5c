"""Seller overlays: a seller's own return rules in <directory>/<seller id>.yaml, merged over the marketplace's and kept above its floor."""
from __future__ import annotations

import functools
import os
from datetime import date
from typing import Any

from .errors import PolicyError, PolicyErrors
from .model import Category, Fee, Policy, ReturnsPolicy, SellerOverlay, at, freeze
from .schema import OVERLAY_SCHEMA
from .semantics import _ID_RE, PolicyBuilder
from .validate import SchemaValidator, type_name
from .vocabulary import BUILTIN_REFUND_RULES, CONDITIONS
from .fastparse import parse
from .yamlsafe import MAX_FILE_BYTES, Located, read_text

MAX_OVERLAYS = 20_000


def overlay_files(policy: Policy, base_dir: str) -> list[tuple[str, str]]:
    """(seller id, path) of every overlay file in the policy's seller directory, in name order."""
    directory = os.path.join(base_dir, policy.overlay_directory or "")
    names = sorted(n for n in os.listdir(directory) if n.endswith(".yaml"))
    return [(name[: -len(".yaml")], os.path.join(directory, name)) for name in names]


# Built overlays by (file, text, marketplace version): a reload rebuilds only the files that changed.
_BUILT: dict[tuple[str, str, str], SellerOverlay] = {}


def load_overlays(policy: Policy, base_dir: str) -> tuple[dict[str, SellerOverlay], list[PolicyError], list[str]]:
    """Every overlay of `policy` (overlays, errors, texts for the content hash); errors carry each overlay's own file:line:col."""
    directory = os.path.join(base_dir, policy.overlay_directory or "")
    line, col = policy.raw_locations.get("sellers.directory", (1, 1))
    if not os.path.isdir(directory):
        return {}, [PolicyError(policy.source, line, col, "file-unreadable",
                                f"sellers.directory: {policy.overlay_directory!r} is not a directory beside the policy ({directory})")], []
    files = overlay_files(policy, base_dir)
    if len(files) > MAX_OVERLAYS:
        return {}, [PolicyError(policy.source, line, col, "too-many",
                                f"sellers.directory holds {len(files)} overlays; the limit is {MAX_OVERLAYS}")], []
    if len(_BUILT) > 4 * MAX_OVERLAYS:
        _BUILT.clear()
    overlays: dict[str, SellerOverlay] = {}
    errors: list[PolicyError] = []
    texts: list[str] = []
    for seller, path in files:
        try:
            text = read_text(path, max_bytes=MAX_FILE_BYTES)
            texts.append(f"\n#overlay {seller}\n{text}")
            key = (path, text, policy.content_hash)
            overlay = _BUILT.get(key)
            if overlay is None:
                overlay = _BUILT[key] = load_overlay_text(text, path, seller, policy)
        except PolicyErrors as exc:
            errors.extend(exc.errors)
            continue
        overlays[seller] = overlay
    return overlays, errors, texts


def load_overlay_text(text: str, source: str, seller: str, policy: Policy) -> SellerOverlay:
    """Validate and build one seller's overlay over `policy`, or raise PolicyErrors located in the overlay file."""
    located = parse(text, source)
    if not isinstance(located.data, dict):
        found = "an empty file" if located.data is None else type_name(located.data)
        raise PolicyErrors([located.error((), "wrong-type", f"a seller overlay must be a mapping of sections, found {found}")])
    validator = SchemaValidator(located)
    validator.check(located.data, OVERLAY_SCHEMA)
    if validator.errors:
        raise PolicyErrors(validator.errors)
    builder = OverlayBuilder(located, seller, policy)
    overlay = builder.build_overlay()
    if builder.errors:
        raise PolicyErrors(builder.errors)
    return overlay


class OverlayBuilder(PolicyBuilder):
    """Builds one seller's merged returns policy and checks it against the marketplace's floor."""

    def __init__(self, located: Located, seller: str, marketplace: Policy):
        super().__init__(located, "")
        self.seller = seller
        self.marketplace = marketplace

    def build_overlay(self) -> SellerOverlay:
        """The overlay; errors are recorded on self.errors."""
        data = self.located.data
        if not _ID_RE.fullmatch(self.seller):
            self.fail((), "bad-name", f"the file name {self.seller!r} must be a seller id (letters, digits, '.', '_', '-')")
        if "seller" in data and data["seller"] != self.seller:
            self.fail(("seller",), "bad-value", f"seller {data['seller']!r} does not match the file name ({self.seller}.yaml)")
        m = self.marketplace.returns
        r = data["returns"]
        default_window = (self.dated(("returns", "default_window_days"), r["default_window_days"], self._int)
                          if "default_window_days" in r else m.default_window_days)
        defaults = dict(m.restocking_fee)
        defaults.update({c: self.dated(("returns", "restocking_fee", c), v, self.fee) for c, v in (r.get("restocking_fee") or {}).items()})
        raw_categories = self.marketplace.raw["returns"].get("categories") or {}
        categories: dict[str, Category] = {}
        for name, cat in m.categories.items():
            raw = raw_categories.get(name) or {}
            own_fees = raw.get("restocking_fee") or {}
            fees = {k: cat.restocking_fee[k] if k in own_fees else defaults[k] for k in CONDITIONS}
            window = cat.window_days if "window_days" in raw else default_window
            categories[name] = Category(name, window, cat.returnable, freeze(fees), cat.label)
        categories.update(self._categories(("returns",), r.get("categories") or {}, default_window, defaults, categories))
        extensions = m.window_extensions + self._extensions(("returns",), r.get("window_extensions") or [], categories)
        rules = tuple(self.custom_rule("refund", ("returns", "rules", i), rule, categories, seller=self.seller)
                      for i, rule in enumerate(r.get("rules") or []))
        self.check_rule_set("refund", ("returns", "rules"), rules, dict(BUILTIN_REFUND_RULES), earlier=m.rules)
        returns = ReturnsPolicy(
            default_window_days=default_window,
            categories=freeze(categories),
            seller_fault_reasons=m.seller_fault_reasons,
            restocking_fee=freeze(defaults),
            returnless_max_price=m.returnless_max_price,
            escalation_min_price=m.escalation_min_price,
            escalation_min_returns_90d=m.escalation_min_returns_90d,
            rules=tuple(sorted(m.rules + rules, key=lambda x: x.priority)),
            window_extensions=extensions,
        )
        if self.marketplace.floor is not None:
            self._check_floor(r, returns, rules)
        return SellerOverlay(self.seller, data["version"], self.located.source, returns)

    def _check_floor(self, r: dict, mine: ReturnsPolicy, rules) -> None:
        floor = self.marketplace.floor
        m = self.marketplace.returns
        where = "the marketplace"
        if floor.windows:
            if "default_window_days" in r and not _never_below(mine.default_window_days, m.default_window_days):
                self.fail(("returns", "default_window_days"), "below-floor",
                          f"the window may not be shorter than {where}'s {_show(m.default_window_days)}")
            for name, raw in (r.get("categories") or {}).items():
                if "window_days" in raw and not _never_below(mine.category(name).window_days, m.category(name).window_days):
                    self.fail(("returns", "categories", name, "window_days"), "below-floor",
                              f"{name}: the window may not be shorter than {where}'s {_show(m.category(name).window_days)}")
        if floor.returnable:
            for name, raw in (r.get("categories") or {}).items():
                if raw.get("returnable") is False and m.category(name).returnable:
                    self.fail(("returns", "categories", name, "returnable"), "below-floor",
                              f"{name} is returnable under {where}; a seller may not make it non-returnable")
        if floor.fees:
            for c in (r.get("restocking_fee") or {}):
                if not _fee_at_most(mine.restocking_fee[c], m.restocking_fee[c]):
                    self.fail(("returns", "restocking_fee", c), "below-floor", f"the {c} restocking fee may not exceed {where}'s")
            for name, raw in (r.get("categories") or {}).items():
                for c in (raw.get("restocking_fee") or {}):
                    if not _fee_at_most(mine.category(name).restocking_fee[c], m.category(name).restocking_fee[c]):
                        self.fail(("returns", "categories", name, "restocking_fee", c), "below-floor",
                                  f"{name}: the {c} restocking fee may not exceed {where}'s")
            for i, rule in enumerate(rules):
                if rule.fee is not None:
                    self.fail(("returns", "rules", i, "then", "outcome"), "below-floor",
                              f"rule {rule.id}: a seller rule may not charge a fee the marketplace does not")
        if floor.deny_rules:
            for i, rule in enumerate(rules):
                if rule.outcome in ("deny", "escalate"):
                    self.fail(("returns", "rules", i, "then", "outcome"), "below-floor",
                              f"rule {rule.id}: seller rules may not {rule.outcome} (the marketplace's floor); "
                              f"use approve_return, returnless_refund or keep_item_refund")


def _dates(*values: Any) -> list[date]:
    days = {date.min}
    for v in values:
        for start, _ in getattr(v, "entries", ()):
            if start is not None:
                days.add(start)
    return sorted(days)


def _never_below(mine: Any, floor: Any) -> bool:
    return all(at(mine, d) >= at(floor, d) for d in _dates(mine, floor))


def _fee_at_most(mine: Any, floor: Any) -> bool:
    return all(_fee_below(_as_fee(at(mine, d)), _as_fee(at(floor, d))) for d in _dates(mine, floor))


@functools.lru_cache(maxsize=4096)
def _fee_below(mine: Fee, floor: Fee) -> bool:
    # 1,000 overlays mostly repeat a few fee schedules
    return mine.rate <= floor.rate if mine.is_rate and floor.is_rate else mine.at_most(floor)


def _as_fee(value: Any) -> Fee:
    return value if isinstance(value, Fee) else Fee(rate=value)


def _show(value: Any) -> str:
    entries = getattr(value, "entries", None)
    if entries is None:
        return f"{value} days"
    return ", ".join(f"{v} days from {d}" if d else f"{v} days" for d, v in entries)
