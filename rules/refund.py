"""The refund kind as a table: its built-in rules as data, its lookups (windows, fees, seller overlays) and its amounts."""
from __future__ import annotations

from bisect import bisect_right
from datetime import MAXYEAR, date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable, NamedTuple

from policy.facts import FACTS
from policy.model import CustomRule, Dated, Fee, Policy, ReturnsPolicy, WindowExtension
from policy.vocabulary import BUILTIN_REFUND_RULES

from .conditions import all_of, literal, same_event
from .dated import Resolved, change_dates, resolve
from .decision import Decision
from .facts import _FAST, CENT, ID_RE, MAX_MONEY, fast_checker_knowing, refund_facts
from .memo import remember
from .program import KindTable, RuleSpec, placeholders
from .text import compiled_template, in_force_part, money, percent, shower, with_in_force, words

ZERO = Decimal("0.00")

# Built-in refund rules: outcome, reason code, explanation, condition over event fields, values used.
BUILTIN = {
    "non_returnable": ("deny", "non_returnable",
                       "{Category_label} can't be returned for a reason like \"{reason}\", so this refund is declined.",
                       all_of([{"returnable": False}, {"seller_fault": False}]), ("returnable",)),
    "outside_window": ("deny", "outside_window",
                       "{Category_label} can be returned within {window_days} days of delivery and this item was delivered "
                       "{days_since_delivery} days ago, so this refund is declined.",
                       {"$gt": {"days_since_delivery": same_event("window_days")}}, ("window_days",)),
    "high_value": ("escalate", "high_value",
                   "Items costing {min_price} or more are checked by a person, so a member of our team will review this request.",
                   {"$gte": {"price": same_event("escalation_min_price")}}, ("escalation_min_price",)),
    "serial_returner": ("escalate", "serial_returner",
                        "This account has {buyer_returns_90d} returns in the last 90 days, so a member of our team will review this request.",
                        {"$gte": {"buyer_returns_90d": same_event("escalation_min_returns_90d")}}, ("escalation_min_returns_90d",)),
    "non_returnable_seller_fault": ("returnless_refund", "non_returnable_seller_fault",
                                    "{Category_label} can't be sent back, but the item is \"{reason}\", so you get {refund_amount} "
                                    "and keep the item.",
                                    {"returnable": False}, ("returnable",)),
    "not_received": ("returnless_refund", "not_received",
                     "The item never reached you, so you get {refund_amount} and there is nothing to send back.",
                     {"reason": "not_received"}, ()),
    "low_value": ("returnless_refund", "low_value",
                  "For items of {max_price} or less a return costs more than the item, so you get {refund_amount} and keep it.",
                  {"$lte": {"price": same_event("returnless_max_price")}}, ("returnless_max_price",)),
    "restocking_fee": ("partial_refund", "restocking_fee",
                       "An item returned {condition} for a reason that is not the seller's fault carries a {fee_rate} restocking fee, "
                       "so you get {refund_amount} back ({fee} fee) once the return arrives with the prepaid label.",
                       all_of([{"restocking_applies": True}, {"seller_fault": False}]), ("restocking_fee",)),
    "approve_return": ("approve_return", "return_approved",
                       "Your return is approved: send the item back with the prepaid label and you get {refund_amount} back.",
                       {"$ex": {"price": 1}}, ("window_days",)),  # catch-all: every request has a price
}
assert list(BUILTIN) == [name for name, _ in BUILTIN_REFUND_RULES]

# What a refund lookup gives (RefundTable.lookup_values), in this order: decisions read this tuple, not a merged dict.
LOOKED_UP = ("product_tags", "buyer_return_rate", "returnable", "window_days", "window_source", "fee_spec", "category_label",
             "escalation_min_price", "returnless_max_price", "escalation_min_returns_90d", "dated", "restocking_applies",
             "seller_fault", "seller_values")
_AT = {name: i for i, name in enumerate(LOOKED_UP)}


def _value(name: str) -> str:
    """The expression an explanation reads a fact or looked-up value by: a0 is the checked facts, a1 the looked-up values."""
    return f"a1[{_AT[name]}]" if name in _AT else f"a0[{name!r}]"


# How the built-in explanations' own placeholders are computed, as expressions over (a0: facts, a1: looked-up values,
# a2: refund_amount, a3: fee, a4: fee spec, a5: rule) and the names in _ENV.
_PLACEHOLDERS = {
    "Category_label": f"CAPITALISED.get({_value('category_label')}) or capitalise({_value('category_label')})",
    "category_label": _value("category_label"),
    "min_price": f"money({_value('escalation_min_price')})",
    "max_price": f"money({_value('returnless_max_price')})",
    "refund_amount": "money(a2)",
    "fee": "money(a3)",
    "fee_rate": "percent(a4.rate) if a4.is_rate else money(a3)",
    "rule": "a5.cited",
    "outcome": "words(a5.outcome)",
    "seller": f"{_value('seller_id')} or 'the marketplace'",
    "reason": f"words({_value('reason')})",
    "condition": f"words({_value('condition')})",
    "window_days": _value("window_days"),
    "days_since_delivery": _value("days_since_delivery"),
    "buyer_returns_90d": _value("buyer_returns_90d"),
}

_CAPITALISED: dict[str, str] = {}  # category labels with a capital first letter (bounded)


def _capitalise(label: str) -> str:
    out = label[:1].upper() + label[1:]
    return remember(_CAPITALISED, label, out) if out else out  # "" is falsy: not memoised


_ENV = {"CAPITALISED": _CAPITALISED, "capitalise": _capitalise, "money": money, "percent": percent, "words": words}


_LABELS = {"window_days": "return window", "escalation_min_price": "review threshold",
           "escalation_min_returns_90d": "serial-returner threshold", "returnless_max_price": "returnless threshold",
           "restocking_fee": "restocking fee"}


def _shown(name: str, value: Any) -> str:
    if name == "window_days":
        return f"{value} days"
    if name == "escalation_min_returns_90d":
        return f"{value} returns"
    if isinstance(value, Fee):
        return percent(value.rate) if value.is_rate else "the fee schedule"
    return money(value)


# A dated value's part of the in-force sentence and its from date, by the id of its (value, from) pair: the pairs are
# made once per dated period (the lookup memo keeps them), and each entry keeps its pair alive, so an id names one pair.
_NOTES: dict[int, tuple] = {}  # (bounded)


def _note(name: str, hit: tuple) -> tuple:
    """(hit, name, in_force_part of the dated value `hit` = (value, from date) used as `name`, its from date in ISO)."""
    value, start = hit
    return remember(_NOTES, id(hit), (hit, name, in_force_part(_LABELS[name], _shown(name, value), "requests", start.isoformat()),
                                      start.isoformat()))


def _constants(expr: Any, constants: dict) -> Any:
    """`expr` with references to the fields in `constants` replaced by their values."""
    if isinstance(expr, dict):
        if set(expr) == {"$m"} and expr["$m"] in constants:
            return constants[expr["$m"]]
        return {k: _constants(v, constants) for k, v in expr.items()}
    if isinstance(expr, list):
        return [_constants(v, constants) for v in expr]
    return expr


def refund_amounts(outcome: str, price: Decimal, fee_spec: Fee, keep_rate: Decimal | None) -> tuple[Decimal, Decimal]:
    """(refund_amount, fee) for an outcome."""
    if outcome in ("approve_return", "returnless_refund"):
        return price, ZERO
    if outcome == "partial_refund":
        fee = fee_spec.amount(price)
        return price - fee, fee
    if outcome == "keep_item_refund":
        return (price * keep_rate).quantize(CENT, rounding=ROUND_HALF_UP), ZERO
    return ZERO, ZERO


class RefundContext:
    """The marketplace's returns section and each seller overlay's merged one, arranged for lookups."""

    def __init__(self, policy: Policy):
        self.returns = policy.returns
        overlays = {seller: o.returns for seller, o in policy.overlays.items()}
        tags = policy.product_tags
        # Tags by SKU are sorted (a tag listed twice once), so a request without tags of its own takes
        # them without merging; equal tag lists are one tuple, so ten thousand SKUs share a few tuples.
        # Only SKUs a request can carry (the loader checks them with the same pattern): the fact checker takes these keys as
        # valid ids (fast_check_for).
        same: dict[tuple, tuple] = {}
        self.product_tags = {sku: same.setdefault(u, u) for sku, t in tags.items() if ID_RE.fullmatch(sku)
                             for u in (t if len(set(t)) == len(t) else tuple(sorted(set(t))),)}
        compiled: dict[WindowExtension, Callable[[dict], bool]] = {}  # overlays share the marketplace's extensions
        def tests(r: ReturnsPolicy) -> tuple:
            return tuple((e, compiled.get(e) or compiled.setdefault(e, extension_test(e))) for e in r.window_extensions)
        self.memo = LookupMemo()  # what the sections worked out (bounded for all of them at once)
        self.marketplace = Section(self.returns, tests(self.returns))
        # Per seller: their merged section, and per category (None: unlisted ones) which settings the
        # overlay changes (so a decision can say whether the marketplace's or the seller's value made
        # it), and their own window extensions. Sellers whose overlays come to the same share one
        # entry: a thousand overlays are a few dozen distinct ones, and a decision then reads memory
        # other decisions keep warm. A seller's section carries its differences, so its lookups in the
        # memo also give which values the seller set.
        self.sellers: dict[str, Section] = {}
        same: dict[tuple, Section] = {}
        m = policy.returns
        for seller, r in overlays.items():
            if not ID_RE.fullmatch(seller):  # pragma: no cover - the loader checks seller ids with the same pattern
                continue
            names = set(m.categories) | set(r.categories)
            table = {name: _difference(r.category(name), m.category(name)) for name in names}
            table[None] = _difference(r.category("\x00unlisted"), m.category("\x00unlisted"))
            own = frozenset(e.id for e in r.window_extensions) - {e.id for e in m.window_extensions}
            section = Section(r, tests(r), table, own)
            key = (section.key(), frozenset(table.items()), own)
            self.sellers[seller] = same.get(key) or same.setdefault(key, section)
        self.memo.sections = (self.marketplace, *same.values())


class LookupMemo:
    """What the sections worked out per (category, condition, dated period), each section's in a dict of its own, bounded
    for all of them at once (so a thousand distinct overlays cost no more memory than one). A decision at scale reads a
    cold entry of one section's dict and nothing else cold: the keys and the looked-up values are tuples shared by every
    section that has them (most sellers' sections give the same values for most categories and conditions)."""

    __slots__ = ("sections", "entries", "keys", "values")

    def __init__(self) -> None:
        self.sections: tuple[Section, ...] = ()
        self.entries = 0
        self.keys: dict[tuple, tuple] = {}
        self.values: dict[tuple, tuple] = {}

    def store(self, section: Section, key: tuple, out: tuple) -> tuple:
        """`out` stored as what `section` looks up for `key` (a shared equal tuple instead, if there is one); the tuple stored."""
        if self.entries >= _MEMO_BOUND:
            for each in self.sections:
                each.memo.clear()
            self.keys.clear()
            self.values.clear()
            self.entries = 0
        (returnable, window, fee, label, *thresholds, dated), applies, extensions, seller_values = out
        try:  # equal values, one tuple (dated values' pairs included: a note is remembered by its pair's id)
            out = self.values.setdefault((returnable, window, fee, label, *thresholds, tuple(dated.items()), applies, extensions,
                                          seller_values), out)
        except TypeError:  # pragma: no cover - every looked-up value is hashable; if one is not, it is simply not shared
            pass
        section.memo[self.keys.setdefault(key, key)] = out
        self.entries += 1
        return out


class Section:
    """One returns section (the marketplace's, or a seller's merged with it) as rows a lookup reads at once."""

    __slots__ = ("extensions", "rows", "default_window", "default_fees", "limits", "seller_fault", "changes", "differs", "own_extensions",
                 "memo")

    def __init__(self, r: ReturnsPolicy, extensions: tuple, differs: dict | None = None, own_extensions: frozenset = frozenset()):
        self.extensions = extensions  # (extension, test) pairs
        # A seller's: per category (None: unlisted ones) whether the overlay changes (window, fees by condition,
        # returnable) from the marketplace's, and the ids of its own window extensions; None for the marketplace.
        self.differs, self.own_extensions = differs, own_extensions
        # category -> (window, returnable, {condition: (fee, whether it applies, None: depends on the date or price)}, label)
        self.rows = {name: (c.window_days, c.returnable, _fee_rows(c.restocking_fee), c.label) for name, c in r.categories.items()}
        self.default_window, self.default_fees = r.default_window_days, _fee_rows(r.restocking_fee)  # unlisted categories
        thresholds = (r.escalation_min_price, r.returnless_max_price, r.escalation_min_returns_90d)
        # thresholds (dated or not), resolved once per period between their change dates
        self.limits = Resolved(dict(zip(("escalation_min_price", "returnless_max_price", "escalation_min_returns_90d"), thresholds)))
        self.seller_fault = frozenset(r.seller_fault_reasons)
        # Between two dates a value of the section changes on, a category and condition always look up
        # the same values: each (category, condition, period) is worked out once, into the section's memo.
        values = [self.default_window, *self.default_fees.values(), *(e.window_days for e, _ in extensions), *thresholds]
        values += [v for w, _, fees, _ in self.rows.values() for v in (w, *(fee for fee, _ in fees.values()))]
        self.changes = change_dates(values)
        self.memo: dict[tuple, tuple] = {}  # (category, condition, period) -> what `fix` gave (filled by LookupMemo.store)

    def fix(self, memo: LookupMemo, category: str, condition: str, day: date, period: int) -> tuple:
        """(the values a request of `category` and `condition` on `day` looks up, whether a fee applies (None: by price),
        each window extension's (extension, test, window or None for an until date, dated note or None), which values
        a seller's overlay set when no extension applies (None: the marketplace's section))."""
        row = self.rows.get(category)
        if row is None:  # a category the policy does not list: the section's defaults
            window, returnable, fees, label = self.default_window, True, self.default_fees, category.replace("_", " ")
        else:
            window, returnable, fees, label = row
        dated: dict[str, tuple[Any, date]] = {}
        window = resolve(window, day, "window_days", dated)
        extensions = []
        for extension, matches in self.extensions:
            longer, note = None, None
            if extension.until is None:
                longer, start = at_with_start(extension.window_days, day)
                note = (longer, start) if start is not None else None
            extensions.append((extension, matches, longer, note))
        fee, applies = fees[condition]
        if type(fee) is Dated:
            fee = resolve(fee, day, "restocking_fee", dated)
            applies = fee.rate > 0 if fee.is_rate else None
        if applies is None:
            applies = fee_from(fee)
        thresholds, more = self.limits.at(day)
        dated.update(more)
        seller_values = None
        if self.differs is not None:
            window_differs, fees_differ, returnable_differs = self.differs.get(category) or self.differs[None]
            seller_values = _SELLER_VALUES[(window_differs, condition in fees_differ, returnable_differs)]
        return memo.store(self, (category, condition, period), (
            (returnable, window, fee, label, *thresholds, dated or _NOTHING_DATED), applies, tuple(extensions), seller_values))

    def key(self) -> tuple:
        """Everything a lookup reads of this section: equal keys, equal lookups."""
        return (tuple((name, w, ret, tuple(fees.items()), label) for name, (w, ret, fees, label) in self.rows.items()),
                self.default_window, tuple(self.default_fees.items()), self.limits.values, self.seller_fault,
                tuple(e for e, _ in self.extensions))


_FEE_FROM: dict[Fee, Decimal | None] = {}  # (bounded)
_NEVER = Decimal("Infinity")


def fee_from(fee: Fee) -> Decimal | None:
    """The least whole-cents price whose fee is more than zero (Infinity: none), or None when the fee is not
    non-decreasing in the price (then each request asks the fee). Prices are checked to whole cents."""
    if fee in _FEE_FROM:
        return _FEE_FROM[fee]
    out: Decimal | None = None
    # With no negative part, price x rate + fixed, its clamps, the price cap and the rounding never decrease as the price grows.
    if all(v is None or v >= 0 for v in (fee.rate, fee.fixed, fee.min, fee.max, fee.above_price)):
        lo, hi = 0, int(MAX_MONEY / CENT)  # in cents: the fee of lo is zero; find the least hi whose fee is not
        if fee.amount(hi * CENT) <= 0:
            out = _NEVER
        else:
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (lo, mid) if fee.amount(mid * CENT) > 0 else (mid, hi)
            out = hi * CENT
    return remember(_FEE_FROM, fee, out)


def _fee_rows(fees: Any) -> dict[str, tuple[Any, bool | None]]:
    return {condition: (fee, fee.rate > 0 if type(fee) is not Dated and fee.is_rate else None) for condition, fee in fees.items()}


def _difference(mine, marketplace) -> tuple[bool, frozenset, bool]:
    """(window differs, conditions whose fee differs, returnable differs) between a seller's and the marketplace's category."""
    fees = frozenset(c for c, fee in mine.restocking_fee.items() if fee != marketplace.restocking_fee[c])
    return mine.window_days != marketplace.window_days, fees, mine.returnable != marketplace.returnable


_OPERATOR = {"eq": "==", "ne": "!=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


def predicate_source(condition, constants: dict[str, Any], kind: str = "refund") -> str:
    """A condition as a Python expression over `g` (the checked facts), `tags` (the product's tags, the SKU's merged in)
    and `rate` (the buyer's return rate); its values go into `constants` (window extensions are tested before the engine runs)."""
    name, op, value = condition.field, condition.op, condition.value
    x = {"product_tags": "tags", "buyer_return_rate": "rate"}.get(name, f"g[{name!r}]")
    k = f"K{len(constants)}"
    if op in ("contains_any", "contains_all", "contains_none"):
        constants[k] = frozenset(value)
        return {"contains_any": f"not {k}.isdisjoint({x})", "contains_all": f"{k}.issubset({x})", "contains_none": f"{k}.isdisjoint({x})"}[op]
    if FACTS[kind][name].type == "date":
        if op == "yearly":  # as policy.reach.holds reads it: a span of month-days, or one that wraps past the year's end
            lo, hi = value
            if lo <= hi:
                return f"((d := {x}) is not None and {lo!r} <= d.month * 100 + d.day <= {hi!r})"
            return f"((d := {x}) is not None and ((md := d.month * 100 + d.day) >= {lo!r} or md <= {hi!r}))"
        constants[k] = value
        return f"((d := {x}) is not None and d.toordinal() {_OPERATOR[op]} {k})"
    if op in ("in", "not_in"):
        constants[k] = frozenset(value)
        return f"({x} {'in' if op == 'in' else 'not in'} {k})"
    constants[k] = value
    if op == "ne":
        return f"({x} != {k})"  # an unknown value is "not this" too
    return f"((v := {x}) is not None and v {_OPERATOR[op]} {k})"


def extension_test(extension: WindowExtension) -> Callable[[dict, tuple, float], bool]:
    """Whether a window extension's conditions all hold, as one function of (checked facts, product tags, return rate)."""
    constants: dict[str, Any] = {}
    body = " and ".join(predicate_source(c, constants) for c in extension.conditions) or "True"
    exec(compile(f"def test(g, tags, rate):\n    return {body}\n", f"<extension {extension.id}>", "exec"), constants)  # noqa: S102 - generated
    return constants.pop("test")


def extension_tests(r: ReturnsPolicy) -> tuple:
    """(extension, test) for each window extension of a returns section."""
    return tuple((e, extension_test(e)) for e in r.window_extensions)


def _until_window(delivered: date, month_day: tuple[int, int]) -> int:
    month, day = month_day
    year = delivered.year
    for candidate_year in (year, year + 1):
        if candidate_year > MAXYEAR:  # that day would be after 9999-12-31: the window runs to the last day there is
            return (date.max - delivered).days
        try:
            end = date(candidate_year, month, day)
        except ValueError:  # 02-29 in a common year: the day before
            end = date(candidate_year, month, day - 1)
        if end >= delivered:
            return (end - delivered).days
    return 0  # pragma: no cover - the next year always qualifies


def at_with_start(value: Any, day: date) -> tuple[Any, date | None]:
    """(the value on `day`, the date it applies from or None) of a possibly Dated value."""
    return value.at(day) if type(value) is Dated else (value, None)


_NOTHING_DATED: dict = {}  # read only
_MEMO_BOUND = 16384


# Which of its values a seller's overlay set for a request, by (window, restocking fee, returnable): read only.
_SELLER_VALUES = {(w, f, r): frozenset(name for name, on in (("window_days", w), ("restocking_fee", f), ("returnable", r)) if on)
                  for w in (False, True) for f in (False, True) for r in (False, True)}
_MERGED: dict[tuple, tuple] = {}  # (a request's product tags, its SKU's tags) -> both, sorted (bounded)


def _merge(mine: tuple, tags: tuple) -> tuple:
    return remember(_MERGED, (mine, tags), tuple(sorted(set(mine).union(tags))))


class RefundTable(KindTable):
    """Refund requests: a buyer's request on one order item."""

    kind = "refund"
    default_template = "This request matches the rule {rule}, so the outcome is: {outcome}."
    event_types = {"restocking_applies": "bool", "escalation_min_price": "money", "returnless_max_price": "money",
                   "escalation_min_returns_90d": "count"}

    def context(self, policy: Policy) -> RefundContext:
        return RefundContext(policy)

    def builtins(self, ctx: RefundContext) -> list[RuleSpec]:
        r = ctx.returns
        # A threshold that never changes (not dated; overlays can't change thresholds) is compiled in
        # as a constant, so the event does not carry it.
        constants = {name: literal(value) for name, value in (("escalation_min_price", r.escalation_min_price),
                                                               ("returnless_max_price", r.returnless_max_price),
                                                               ("escalation_min_returns_90d", r.escalation_min_returns_90d))
                     if type(value) is not Dated}
        return [RuleSpec(name, priority, BUILTIN[name][0], BUILTIN[name][1], BUILTIN[name][2], _constants(BUILTIN[name][3], constants),
                         BUILTIN[name][4], fields=placeholders(BUILTIN[name][2]))
                for name, priority in BUILTIN_REFUND_RULES]

    def custom_rules(self, policy: Policy) -> dict[str | None, tuple[CustomRule, ...]]:
        sets: dict[str | None, tuple[CustomRule, ...]] = {None: policy.returns.rules}
        for seller, overlay in policy.overlays.items():
            if any(rule.seller for rule in overlay.returns.rules):
                sets[seller] = overlay.returns.rules
        return sets

    def check(self, raw: Any) -> dict:
        return refund_facts(raw)

    fast_check = staticmethod(_FAST["refund"])  # the generated checker (rules/factcode.py); check() runs when it steps aside

    def fast_check_for(self, ctx: RefundContext) -> Callable[[Any], dict | None]:
        # A request's SKU and seller are then looked up once: the checker's test that they are ids reads the entries of the
        # policy's tables that the lookups read next, instead of its own memo of checked ids.
        return fast_checker_knowing("refund", {"sku": ctx.product_tags, "seller_id": ctx.sellers})

    ruleset_fact = "seller_id"  # a seller whose overlay brings rules has a rule set of its own

    looked_up = LOOKED_UP

    def lookup_values(self, ctx: RefundContext, given: dict) -> tuple:
        tags = given["product_tags"]
        sku = given["sku"]
        if sku is not None:
            sku_tags = ctx.product_tags.get(sku)
            if sku_tags is not None:
                tags = (_MERGED.get((tags, sku_tags)) or _merge(tags, sku_tags)) if tags else sku_tags
        orders = given["buyer_orders_90d"]
        rate = given["buyer_returns_90d"] / orders if orders else 0.0
        seller = given["seller_id"]
        section = ctx.sellers.get(seller, ctx.marketplace) if seller is not None else ctx.marketplace
        # The returns section's values the request is decided by, worked out once per (category, condition, period).
        category, condition, day = given["category"], given["condition"], given["requested_on"]
        period = bisect_right(section.changes, day) if section.changes else 0
        values, applies, extensions, seller_values = (section.memo.get((category, condition, period))
                                                      or section.fix(ctx.memo, category, condition, day, period))
        returnable, window, fee, label, min_price, max_price, min_returns, dated = values
        source = None
        if extensions:  # tested before the table's values are looked up
            shared = dated
            for extension, matches, longer, note in extensions:
                if matches(given, tags, rate):
                    if longer is None:
                        longer = _until_window(given["delivered_on"], extension.until)
                    elif note is not None:
                        if dated is shared:
                            dated = dict(shared)
                        dated[f"window_days:{extension.id}"] = note
                    if longer > window:
                        window, source = longer, extension.id
        if applies.__class__ is not bool:  # a fee charged from a price on (or None: ask the fee)
            applies = given["price"] >= applies if applies is not None else fee.amount(given["price"]) > 0
        if source is not None and seller_values is not None:  # an extension's window is the seller's if the extension is its own
            seller_values = _SELLER_VALUES[(source in section.own_extensions, "restocking_fee" in seller_values, "returnable" in seller_values)]
        return (tags, rate, returnable, window, source, fee, label, min_price, max_price, min_returns, dated, applies,
                given["reason"] in section.seller_fault, seller_values)

    def plan(self, ctx: RefundContext, spec: RuleSpec) -> "RefundPlan":
        custom = spec.custom
        env = dict(_ENV)
        values = tuple((name, _PLACEHOLDERS[name] if name in _PLACEHOLDERS else _fact_value(name, env)) for name in spec.fields)
        return RefundPlan(
            explain=compiled_template(spec.template, values, 6, env=env),
            explain_cited=compiled_template(spec.template, values, 6, f" (rule {spec.cited}).", env=env),
            fee=custom.fee if custom is not None else None,
            keep_rate=custom.refund_rate if custom is not None else None,
            source=f"seller {custom.seller}" if custom is not None and custom.seller is not None else None,
            uses=frozenset(spec.uses),
            window_note="window_days" in spec.uses and spec.outcome in ("approve_return", "deny", "partial_refund"),
            fee_note=custom is None and "restocking_fee" in spec.uses,
            returnable_note=custom is None and "returnable" in spec.uses,
            cited=f" (rule {spec.cited}).",
            outcome=spec.outcome,
            reason=spec.reason,
            rule=spec.cited,
        )

    def decision(self, ctx: RefundContext, spec: RuleSpec, v: tuple, given: dict, version: str) -> Decision:
        # the plan unpacked at once: a NamedTuple's fields read by name cost a descriptor call each
        explain, explain_cited, own_fee, keep_rate, source, uses, window_note, fee_note, returnable_note, cited, outcome, reason, rule = spec.plan
        _, _, _, window_days, window_source, fee_spec, _, _, _, _, dated, _, _, seller_values = v
        if own_fee is not None:
            fee_spec = own_fee
        price = given["price"]
        if outcome == "approve_return" or outcome == "returnless_refund":
            refund_amount, fee = price, ZERO
        elif outcome == "deny" or outcome == "escalate":
            refund_amount, fee = ZERO, ZERO
        else:
            refund_amount, fee = refund_amounts(outcome, price, fee_spec, keep_rate)
        if source is not None:
            details: dict[str, Any] = {"source": source}
        elif seller_values is not None and not uses.isdisjoint(seller_values):
            details = {"source": f"seller {given['seller_id']}"}
        else:
            details = {"source": "marketplace"}
        if outcome == "keep_item_refund":
            details["keeps_item"] = True
        notes = None  # the dated values this rule used, each with the date it is in force from
        if dated:
            for name in spec.uses:
                hit = dated.get(name) or (dated.get(f"window_days:{window_source}") if name == "window_days" and window_source else None)
                if hit is not None:
                    if notes is None:
                        notes = {}
                    notes[name] = hit
        if (explain_cited is not None and notes is None and not (window_note and (window_source or (seller_values is not None and "window_days" in seller_values)))
                and (seller_values is None or not ((fee_note and "restocking_fee" in seller_values) or (returnable_note and "returnable" in seller_values)))):
            # nothing is added to the rule's explanation: it is written with its citation at once
            text = explain_cited(given, v, refund_amount, fee, fee_spec, spec)
            if text is not None:
                return _new_tuple(Decision, ("refund", outcome, reason, rule, text, version, {"refund_amount": refund_amount, "fee": fee}, details, given))
        text = explain(given, v, refund_amount, fee, fee_spec, spec)
        if notes is not None:
            in_force, parts = {}, []
            for name, hit in notes.items():
                note = _NOTES.get(id(hit))
                if note is None or note[0] is not hit or note[1] != name:
                    note = _note(name, hit)
                in_force[name] = note[3]
                parts.append(note[2])
            details["in_force"] = in_force
            text = with_in_force(text, parts, "requests", given["requested_on"])
        if window_note:
            if window_source:
                details["window"] = window_source
                text = f"{text.rstrip()} The {words(window_source.removesuffix('_window'))} window of {window_days} days applies."
            elif seller_values is not None and "window_days" in seller_values:
                text = f"{text.rstrip()} Seller {given['seller_id']}'s own return window of {window_days} days applies."
        if seller_values is not None:
            if fee_note and "restocking_fee" in seller_values:
                text = f"{text.rstrip()} Seller {given['seller_id']}'s own restocking fee applies."
            if returnable_note and "returnable" in seller_values:
                text = f"{text.rstrip()} Seller {given['seller_id']} accepts returns of this category."
        text = text.rstrip()  # cite(text, rule), with the rule's part written once per compilation
        return _new_tuple(Decision, ("refund", outcome, reason, rule, (text[:-1] if text.endswith(".") else text) + cited, version,
                                     {"refund_amount": refund_amount, "fee": fee}, details, given))


class RefundPlan(NamedTuple):
    """A refund rule's explanation and details, worked out once per compilation."""

    explain: Callable[..., str]  # the rule's template rendered from (facts, looked-up values, refund amount, fee, fee spec, rule)
    explain_cited: Callable[..., str | None] | None  # the same ending with " (rule X).", when nothing is added to it
    fee: Fee | None  # the custom rule's own fee
    keep_rate: Decimal | None  # the custom rule's keep-the-item rate
    source: str | None  # "seller S9" for a seller's own rule
    uses: frozenset[str]
    window_note: bool  # say which window applied
    fee_note: bool  # say the seller's own restocking fee applied
    returnable_note: bool  # say the seller accepts returns of the category
    cited: str  # " (rule X)."
    outcome: str
    reason: str
    rule: str  # the id decisions cite


# Decisions are NamedTuples; building one from a tuple skips the keyword-argument __new__ (a third of its cost).
_new_tuple = tuple.__new__


def _fact_value(name: str, env: dict[str, Any]) -> str:
    """The expression showing fact `name` in an explanation (`env` gets its shower)."""
    env[f"show_{name}"] = shower("refund", name)
    return f"show_{name}({_value(name) if name in _AT else f'a0.get({name!r})'})"


TABLE = RefundTable()
