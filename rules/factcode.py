"""Fast fact checkers generated once per decision kind from the fact model (policy/facts.py).

A generated checker accepts only well-formed facts (a plain dict of known fields with values of the
exact types the model expects) and returns exactly what the full checker (rules/facts.py) returns
for them; on anything else it returns None and the full checker decides, so every error and its
message comes from one place. tests/rules/test_factcode.py compares the two on good and bad facts.
"""
from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Callable, Mapping

from policy.facts import FACTS, given_fields

CENT = Decimal("0.01")
MAX_MONEY = Decimal("1000000000")
_ZERO = Decimal("0.00")
_BOUND = 4096  # entries each parse memo keeps (requests name the same few days and amounts)
_SHAPES_BOUND = 1024  # request shapes (their keys in order) a kind compiles a checker for; later ones go to the full checker
_VALID_BOUND = 16384  # ids a memo keeps: a big catalogue's SKUs and sellers


def cents(value: Any) -> Decimal | None:
    """An int, float or Decimal with at most two decimals between 0 and MAX_MONEY, as cents; else None."""
    kind = type(value)
    if kind is float:
        # For 0 < value <= 1e9, value * 100 is within far less than a cent of a whole number of cents,
        # so `cents / 100 == value` is round(value, 2) == value (no third decimal), and the cents
        # times 0.01 are exactly the Decimal of value's shortest repr, quantized to cents.
        if 0.0 <= value <= 1e9:
            whole = round(value * 100)
            if whole / 100 == value:
                return Decimal(whole) * CENT if whole else Decimal(repr(value)).quantize(CENT)  # keeps -0.0's sign
    elif kind is int:
        if 0 <= value <= MAX_MONEY:
            return Decimal(value).quantize(CENT) if value else _ZERO
    elif kind is Decimal:  # the store's amounts
        if value.is_finite() and 0 <= value <= MAX_MONEY:
            whole = value.quantize(CENT)
            if whole == value:
                return whole
    return None


class Memo:
    """Parse results by exact type and value: equal non-zero floats (or Decimals) have the same cents, so each is worked out once."""

    def __init__(self, parse: Callable[[Any], Any]):
        self.parse = parse
        self.known: dict = {}

    def __call__(self, value: Any) -> Any:
        known = self.known
        if len(known) >= _BOUND:
            known.clear()
        out = self.parse(value)
        if out is not None and value:  # zeros keep their sign (-0.0 == 0.0), so they are not memoised
            known[value] = out
        return out


def float_cents(known: dict) -> Callable[[float], Decimal | None]:
    """`cents` of a float, remembered in `known` (bounded): Memo(cents) in one call, for the most common money value."""
    def parse(value: float) -> Decimal | None:
        if 0.0 <= value <= 1e9:
            whole = round(value * 100)
            if whole / 100 == value:
                if not whole:
                    return Decimal(repr(value)).quantize(CENT)  # keeps -0.0's sign; zeros are not memoised
                if len(known) >= _BOUND:
                    known.clear()
                known[value] = out = Decimal(whole) * CENT
                return out
        return None
    return parse


class Valid:
    """Strings a pattern accepted (bounded): the codes and ids requests carry repeat."""

    def __init__(self, pattern):
        self.match = pattern.fullmatch  # "$" alone would accept a trailing newline
        self.known: set[str] = set()

    def __call__(self, value: str) -> bool:
        if not self.match(value):
            return False
        if len(self.known) >= _VALID_BOUND:
            self.known.clear()
        self.known.add(value)
        return True


# How each fact type is checked in generated code: `v` is the given value (not None), `{out}` the
# name it is stored under; every snippet leaves `{out}` set or returns None.
_CHECK = {
    "enum": "if v.__class__ is not str or v not in {choices}: return None\n{out} = v",
    "count": "if v.__class__ is not int or not 0 <= v <= {maximum}: return None\n{out} = v",
    "days": "if v.__class__ is not int or not 0 <= v <= {maximum}: return None\n{out} = v",
    "bool": "if v.__class__ is not bool: return None\n{out} = v",
    "money": ("if v.__class__ is float: {out} = FLOATS.get(v) or FLOAT(v)\n"
              "elif v.__class__ is Decimal: {out} = (DECIMALS.get(v) or DECIMAL(v)) if v.is_finite() else None\n"
              "else: {out} = cents(v)\n"
              "if {out} is None: return None"),
    "category": "if v.__class__ is not str or (v not in CATEGORY_KNOWN and not CATEGORY(v)): return None\n{out} = v",
    "id": "if v.__class__ is not str or ({known}v not in ID_KNOWN and not ID(v)): return None\n{out} = v",
    "country": "if v.__class__ is not str or (v not in COUNTRY_KNOWN and not COUNTRY(v)): return None\n{out} = v",
    "date": ("if v.__class__ is str: {out} = DAYS.get(v) or DAY(v)\n"
             "elif v.__class__ is date: {out} = v\n"
             "else: return None\n"
             "if {out} is None: return None"),
    "tags": ("if v.__class__ is not list and v.__class__ is not tuple: return None\n"
             "if not v: {out} = ()\n"
             "else:\n"
             "    for t in v:\n"
             "        if t.__class__ is not str or {tag_ok}: return None\n"
             "    {out} = (v[0],) if len(v) == 1 else tuple(sorted(set(v))) if len(v) <= {max_tags} else None\n"
             "    if {out} is None: return None"),
}

def _day_count(days: str, on: str, day: str) -> str:
    """The finishing step that fills a day count or its date from the other and the decision day."""
    return f"""
if {days} is None and {on} is None: return None
if {day} is None: {day} = today()
if {days} is None:
    {days} = ({day} - {on}).days
    if {days} < 0: return None
elif {on} is None:
    {on} = BEFORE.get(({day}, {days})) or before({day}, {days})"""


# What each kind does after its facts are checked (defaults that depend on other facts, cross-field
# checks); any problem returns None so the full checker reports it. The same steps as rules/facts.py.
_FINISH = {
    "refund": _day_count("days_since_delivery", "delivered_on", "requested_on") + """
if order_total is None: order_total = price
""",
    "claim": _day_count("days_since_refund", "refunded_on", "filed_on") + """
if days_since_return_delivered is None and return_delivered_on is not None:
    days_since_return_delivered = (filed_on - return_delivered_on).days
if days_since_return_delivered is not None:
    if return_received is False: return None
elif return_received is True: return None
if order_total is None: order_total = refund_amount
""",
    "tier": """
if valid_tracking > shipments or prepaid_label_returns > returns: return None
if as_of is None: as_of = today()
if enrolled_on is not None and enrolled_on > as_of: return None
""",
}


# The facts each kind's finishing steps may fill in, stored once they ran.
_FINISHED = {"refund": ("days_since_delivery", "delivered_on", "requested_on", "order_total"),
             "claim": ("days_since_refund", "refunded_on", "filed_on", "days_since_return_delivered", "order_total"),
             "tier": ("as_of",)}


def _before(memo: dict) -> Callable[[date, int], date]:
    def before(day: date, days: int) -> date:
        if len(memo) >= _BOUND:
            memo.clear()
        memo[(day, days)] = out = day - timedelta(days=days)
        return out
    return before


def _step_aside(x: Any) -> None:
    return None


def fast_checker(kind: str, *, today: Callable[[], date], day: Callable[[Any], date | None], patterns: dict,
                 max_int: dict, max_tags: int, default: Callable[[Any], Any],
                 known: Mapping[str, Mapping[str, Any]] | None = None) -> Callable[[Any], dict | None]:
    """The generated checker of `kind`: checked facts (every given fact, in the model's order), or None. An id fact named
    in `known` whose value is a key of that table (a policy's SKUs or sellers, keys that match the id pattern) is valid
    without the memo of checked ids: the lookup that follows reads the same table entry, so a decision at scale touches
    one cold entry instead of two."""
    model = FACTS[kind]
    fields = given_fields(kind)
    floats, decimals, days, before = {}, Memo(cents), {}, {}
    scope: dict[str, Any] = {
        "Decimal": Decimal, "date": date, "cents": cents, "today": today,
        "FLOATS": floats, "FLOAT": float_cents(floats), "DECIMALS": decimals.known, "DECIMAL": decimals,
        "DAYS": days, "BEFORE": before, "before": _before(before),
        "CATEGORY": Valid(patterns["category"]), "ID": Valid(patterns["id"]), "COUNTRY": Valid(patterns["country"]),
        "TAG": Valid(patterns["tag"]),
    }
    for name in ("CATEGORY", "ID", "COUNTRY", "TAG"):
        scope[f"{name}_KNOWN"] = scope[name].known  # one global read in the generated code

    def parse_day(value: str) -> date | None:
        out = day(value)
        if out is not None:
            if len(days) >= _BOUND:
                days.clear()
            days[value] = out
        return out
    scope["DAY"] = parse_day
    # The facts start as a copy of the defaults (a copy is far cheaper than building an 18-key dict),
    # so a fact left out costs nothing more; given facts and those the finishing steps fill are stored.
    template = {name: default(model[name].default) if not model[name].required else None for name in fields}
    scope["TEMPLATE"] = template
    finished = _FINISHED[kind]
    required = [name for name in fields if model[name].required]
    snippets = {}
    for i, name in enumerate(fields):
        fact = model[name]
        choices = f"C{i}"
        scope[choices] = frozenset(fact.choices)
        scope[f"D_{name}"] = template[name]
        tag_ok = f"t not in {choices}" if fact.choices else "(t not in TAG_KNOWN and not TAG(t))"
        in_table = ""
        if known and name in known and fact.type == "id":
            scope[f"K_{name}"] = known[name]
            in_table = f"v not in K_{name} and "
        snippet = _CHECK[fact.type].format(out=name, choices=choices, maximum=max_int.get(fact.type), tag_ok=tag_ok, max_tags=max_tags,
                                           known=in_table)
        snippets[name] = snippet + ("" if name in finished else f"\nout[{name!r}] = {name}")
    # Only the facts the finishing steps read need their default as a local.
    used = {name for name in fields if not model[name].required and (name in finished or re.search(rf"\b{name}\b", _FINISH[kind]))}
    known = frozenset(fields)

    def shape_checker(keys: tuple) -> Callable[[dict], dict | None]:
        """The checker of requests whose keys are `keys`, in that order: their values are read at once, no lookups."""
        if not known.issuperset(keys) or not set(required).issubset(keys) or len(set(keys)) != len(keys):
            return _step_aside  # an unknown fact (or a missing required one): the full checker reports it
        values = [f"v{i}" for i in range(len(keys))]
        lines = [f"def check(x):", f"    {', '.join(values)}{',' if len(values) == 1 else ''} = x.values()", "    out = TEMPLATE.copy()"]
        lines += [f"    {name} = D_{name}" for name in fields if name in used and name not in keys]
        for value, name in zip(values, keys):
            lines.append(f"    v = {value}")
            if model[name].required:
                lines.append("    if v is None: return None")
                lines += ["    " + line for line in snippets[name].splitlines()]
            else:
                lines.append(f"    if v is None: {f'{name} = D_{name}' if name in used else 'pass'}")
                lines.append("    else:")
                lines += ["        " + line for line in snippets[name].splitlines()]
        lines += ["    " + line for line in _FINISH[kind].strip().splitlines()]
        lines += [f"    out[{name!r}] = {name}" for name in finished]
        lines.append("    return out")
        shape_scope = dict(scope)
        exec(compile("\n".join(lines) + "\n", f"<fact checker {kind} {len(keys)} facts>", "exec"), shape_scope)  # noqa: S102 - the model's names
        return shape_scope.pop("check")

    # A request's shape is its keys in order; requests from one source share a few shapes, so each shape's
    # checker is generated once (bounded) and reads the values at once instead of looking up every fact.
    shapes: dict[tuple, Callable[[dict], dict | None]] = {}

    def new_shape(keys: tuple) -> Callable[[dict], dict | None]:
        if len(shapes) >= _SHAPES_BOUND:
            return _step_aside  # so many shapes: the rest go to the full checker (same facts), nothing is compiled again
        shapes[keys] = checker = shape_checker(keys)
        return checker
    scope["SHAPES"], scope["NEW_SHAPE"] = shapes, new_shape
    source = ("def check(x):\n"
              f"    if x.__class__ is not dict or len(x) > {len(fields)}: return None\n"
              "    keys = tuple(x)\n"
              "    checker = SHAPES.get(keys) or NEW_SHAPE(keys)\n"
              "    return checker(x)\n")
    exec(compile(source, f"<fact checker {kind}>", "exec"), scope)  # noqa: S102 - source built from the fact model's names
    return scope.pop("check")
