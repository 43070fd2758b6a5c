"""Reachability of custom rules agrees with brute force over every value that can make a difference."""
from __future__ import annotations

import itertools
import math
import operator
import random

from policy.model import Condition
from policy.reach import covers, satisfiable
from policy.vocabulary import CONDITIONS, REFUND_REASONS

NUMBERS = {"price": [10, 10.5, 99.99], "days_since_delivery": [3, 3.5, 4]}
TEXTS = {"category": ["apparel", "books", "toys"], "reason": list(REFUND_REASONS[:4]), "condition": list(CONDITIONS)}
FIELDS = ["price", "days_since_delivery", "category", "reason", "condition", "seller_fault"]
COMPARE = {"eq": operator.eq, "ne": operator.ne, "gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}


def passes(value, c: Condition) -> bool:
    if c.op == "in":
        return value in c.value
    if c.op == "not_in":
        return value not in c.value
    return COMPARE[c.op](value, c.value)


def samples(field: str, conditions: list[Condition]) -> list:
    """Values of `field` that between them behave like every possible value under `conditions`."""
    if field == "seller_fault":
        return [True, False]
    if field == "reason":
        return list(REFUND_REASONS)
    if field == "condition":
        return list(CONDITIONS)
    mentioned = sorted({v for c in conditions if c.field == field for v in (c.value if c.op in ("in", "not_in") else [c.value])})
    if field == "category":
        return mentioned + ["some_other_category"]
    if field == "days_since_delivery":  # whole numbers only
        return list(range(math.floor(min(mentioned, default=0)) - 1, math.ceil(max(mentioned, default=0)) + 2))
    midpoints = [(a + b) / 2 for a, b in zip(mentioned, mentioned[1:])]
    return mentioned + midpoints + [min(mentioned, default=0) - 1, max(mentioned, default=0) + 1]


def matches(conditions: list[Condition], request: dict) -> bool:
    return all(passes(request[c.field], c) for c in conditions)


def requests(conditions: list[Condition]):
    fields = sorted({c.field for c in conditions})
    grid = [{}]
    for field in fields:
        grid = [{**r, field: v} for r in grid for v in samples(field, conditions)]
    return grid


def random_rule(rng: random.Random, fields: list[str]) -> list[Condition]:
    """One to three conditions on `fields` (so that pairs of rules often overlap)."""
    out = []
    for _ in range(rng.randint(1, 3)):
        field = rng.choice(fields)
        if field == "seller_fault":
            out.append(Condition(field, rng.choice(["eq", "ne"]), rng.choice([True, False])))
            continue
        pool = NUMBERS.get(field) or TEXTS[field]
        op = rng.choice(["eq", "ne", "in", "not_in"] + (["gt", "gte", "lt", "lte"] if field in NUMBERS else []))
        values = rng.sample(pool, rng.randint(1, 3))
        out.append(Condition(field, op, tuple(sorted(values, key=repr)) if op in ("in", "not_in") else values[0]))
    return out


def random_pair(seed: int) -> tuple[list[Condition], list[Condition]]:
    """An earlier and a later rule over mostly the same fields."""
    rng = random.Random(seed)
    fields = rng.sample(FIELDS, rng.randint(1, 2))
    return random_rule(rng, fields), random_rule(rng, fields + rng.sample(FIELDS, 1))


PAIRS = [random_pair(seed) for seed in range(3000)]


def every_condition(field: str) -> list[Condition]:
    """Each operator with each value (and each set of values) from the field's small pool."""
    if field == "seller_fault":
        return [Condition(field, op, v) for op in ("eq", "ne") for v in (True, False)]
    pool = NUMBERS.get(field) or TEXTS[field]
    ops = ("eq", "ne", "gt", "gte", "lt", "lte") if field in NUMBERS else ("eq", "ne")
    sets = [tuple(sorted(c, key=repr)) for n in (1, 2, 3) for c in itertools.combinations(pool, n)]
    return [Condition(field, op, v) for op in ops for v in pool] + [Condition(field, op, v) for op in ("in", "not_in") for v in sets]


def test_one_field_exhaustively():
    """Every rule of one or two conditions on a field against every single condition an earlier rule could have."""
    wrong = []
    for field in FIELDS:
        singles = every_condition(field)
        for later in [[c] for c in singles] + [list(pair) for pair in itertools.combinations(singles, 2)]:
            grid = requests(later + singles)
            possible = [r for r in grid if matches(later, r)]
            if satisfiable(later) != bool(possible):
                wrong.append(("satisfiable", later))
            if possible:
                wrong += [(earlier, later) for earlier in singles if covers([earlier], later) != all(passes(r[field], earlier) for r in possible)]
    assert wrong == []


def test_satisfiable_agrees_with_brute_force_on_rules_over_several_fields():
    rules = [rule for pair in PAIRS for rule in pair]
    wrong = [c for c in rules if satisfiable(c) != any(matches(c, r) for r in requests(c))]
    assert wrong == []
    assert 0.05 < sum(not satisfiable(c) for c in rules) / len(rules) < 0.5  # both answers are tested often


def test_covers_agrees_with_brute_force_on_rules_over_several_fields():
    wrong, covered = [], 0
    for earlier, later in PAIRS:
        if satisfiable(later):  # the validator reports a contradictory rule instead
            grid = requests(earlier + later)
            covered += covers(earlier, later)
            if covers(earlier, later) != all(matches(earlier, r) for r in grid if matches(later, r)):
                wrong.append((earlier, later))
    assert wrong == []
    assert covered > 250  # and "covered" is tested often
