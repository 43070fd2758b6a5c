"""Probing the loader with each class of hostile input: huge numbers in any base, escapes a database or terminal can't take, YAML 1.1 implicit types, hidden line breaks, impossible conditions, files that are not files."""
from __future__ import annotations

import os
import re
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy import PolicyErrors, load_policy, load_policy_text
from policy.errors import UNSAFE_CHARACTERS

from .minimal import MINIMAL, edit

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def located_errors(text: str) -> list[tuple[int, int, str, str]]:
    """(line, col, code, printed line) of every error loading `text`; printing each must work."""
    with pytest.raises(PolicyErrors) as info:
        load_policy_text(text, "p.yaml")
    printed = str(info.value)  # must not raise (a 5,000-digit int once did)
    assert printed.count("\n") + 1 == len(info.value.errors)
    return [(e.line, e.col, e.code, str(e)) for e in info.value.errors]


# -- integers Python refuses to convert to text ----------------------------------------------------

_DIGITS = {10: "0123456789", 16: "0123456789abcdefABCDEF", 8: "01234567", 2: "01"}
_PREFIX = {10: "", 16: "0x", 8: "0", 2: "0b"}


@st.composite
def huge_numerals(draw) -> str:
    """A YAML 1.1 integer of at least 16 significant digits, in any base, maybe signed and with underscores."""
    base = draw(st.sampled_from([10, 16, 8, 2]))
    count = draw(st.one_of(st.integers(60, 200), st.integers(4290, 4400), st.integers(5000, 30000)))
    pattern = draw(st.text(alphabet=_DIGITS[base], min_size=1, max_size=20))  # repeated: Hypothesis draws short texts
    digits = "1" + (pattern * (count // len(pattern) + 1))[:count]
    if draw(st.booleans()):
        digits = "_".join(digits[i:i + 3] for i in range(0, len(digits), 3))
    return draw(st.sampled_from(["", "-", "+"])) + _PREFIX[base] + digits


_NUMBER_SLOTS = [  # (text before, text after) around a number in MINIMAL, and its 1-based line and column
    ("  default_window_days: ", "30", 3, 24),
    ("    apparel: {window_days: ", "30}", 5, 28),
    ("  fee_per_unit: ", "0.5", 13, 17),
    ("    - {name: free, max_cpu: ", "0.05, discount: 1.0}", 17, 29),
]


@SETTINGS
@given(numeral=huge_numerals(), slot=st.sampled_from(_NUMBER_SLOTS))
def test_a_number_too_large_for_a_policy_is_a_located_error_in_any_base(numeral, slot):
    before, old, line, col = slot
    text = edit(before + old, before + numeral + old[old.index("}"):] if "}" in old else before + numeral)
    found = located_errors(text)
    assert [(ln, c) for ln, c, _, _ in found] == [(line, col)], found
    code, printed = found[0][2], found[0][3]
    assert (code, "too large" in printed) in (("yaml-value", True), ("yaml-implicit", False)), printed  # 0777...: octal
    assert len(printed) < 300


@SETTINGS
@given(numeral=huge_numerals())
def test_a_huge_number_as_a_key_is_a_located_error(numeral):
    text = edit("    apparel: {window_days: 30}", f"    ? {numeral}\n    : {{window_days: 30}}")
    assert [(ln, c) for ln, c, code, _ in located_errors(text)] == [(5, 7)]


@pytest.mark.parametrize("numeral", ["1000000000000000", "0x38D7EA4C68000", "-1000000000000000", "1.0e+15",
                                     ".inf", "-.inf", ".nan", "0b11100011010111111010100100110001101000000000000000"])
def test_numbers_of_1e15_or_more_and_non_finite_ones_are_refused(numeral):
    found = located_errors(edit("  default_window_days: 30", f"  default_window_days: {numeral}"))
    assert [(ln, c, code) for ln, c, code, _ in found] == [(3, 24, "yaml-value")], found


def test_the_largest_allowed_number_still_reaches_the_schema():
    found = located_errors(edit("  fee_per_unit: 0.5", "  fee_per_unit: 999999999999999"))
    assert [code for _, _, code, _ in found] == ["out-of-range"]


# -- text a database or terminal can't take ----------------------------------------------------------

_UNSAFE = [chr(c) for c in range(0x110000) if UNSAFE_CHARACTERS.fullmatch(chr(c))]
_TEXT_SLOTS = [  # a double-quoted value (or key) in an edited MINIMAL; where the error is
    (('version: "t1"', 'version: "t1{}"'), (1, 10)),
    (("sleeping_bags: {returnable: false}", 'sleeping_bags: {{returnable: false, label: "bags{}"}}'), (6, 47)),
    (("    apparel: {window_days: 30}", '    "app{}arel": {{window_days: 30}}'), (5, 5)),
    (("    returned_damaged:", '    "returned{}_damaged":'), (22, 5)),
    (("rewards:\n", 'description: "a{}b"\nrewards:\n'), (11, 14)),
]


def _escape(ch: str) -> str:
    """How a double-quoted YAML string spells `ch`."""
    code = ord(ch)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


@SETTINGS
@given(ch=st.sampled_from(_UNSAFE), slot=st.sampled_from(_TEXT_SLOTS))
def test_unsafe_characters_are_refused_in_every_text_and_key_and_never_printed(ch, slot):
    """Only escapes can carry them: PyYAML refuses them raw (yaml-character), and a raw U+0085 is a line break."""
    (old, template), where = slot
    found = located_errors(edit(old, template.format(_escape(ch))))
    assert [(ln, c, code) for ln, c, code, _ in found] == [(*where, "unsafe-character")], found
    assert not UNSAFE_CHARACTERS.search(found[0][3]) and f"U+{ord(ch):04X}" in found[0][3]


@SETTINGS
@given(text=st.text(min_size=1, max_size=30))
def test_any_text_in_a_label_loads_or_is_refused_and_errors_print_nothing_unsafe(text):
    quoted = '"' + "".join(_escape(c) if not c.isalnum() else c for c in text) + '"'
    try:
        policy = load_policy_text(edit("sleeping_bags: {returnable: false}", f"sleeping_bags: {{returnable: false, label: {quoted}}}"), "p")
    except PolicyErrors as exc:
        assert not UNSAFE_CHARACTERS.search(str(exc))
        assert UNSAFE_CHARACTERS.search(text) or len(text) > 80 or not text.strip()
    else:
        assert policy.returns.category("sleeping_bags").label == text and not UNSAFE_CHARACTERS.search(text)


def test_tab_and_newline_stay_allowed_in_text():
    policy = load_policy_text(edit("sleeping_bags: {returnable: false}", 'sleeping_bags: {returnable: false, label: "a\\tb\\nc"}'), "p")
    assert policy.returns.category("sleeping_bags").label == "a\tb\nc"


# -- YAML 1.1 implicit types -------------------------------------------------------------------------

@pytest.mark.parametrize("numeral", ["010", "-010", "+07", "0_10", "00", "1:30", "1:30:00", "-1:30", "0:30.5", "190:20:30.15"])
def test_octal_and_base_60_numerals_are_refused_not_converted(numeral):
    found = located_errors(edit("  default_window_days: 30", f"  default_window_days: {numeral}"))
    assert [(ln, c, code) for ln, c, code, _ in found] == [(3, 24, "yaml-implicit")], found


@pytest.mark.parametrize("numeral, value", [("0", 0), ("10", 10), ("0x1e", 30), ("0b11110", 30), ("3_0", 30), ('"010"', None)])
def test_numerals_that_mean_what_they_show_still_load(numeral, value):
    text = edit("  default_window_days: 30", f"  default_window_days: {numeral}")
    if value is None:  # quoted: text, so the schema says it is not a number
        assert [code for _, _, code, _ in located_errors(text)] == ["wrong-type"]
    else:
        assert load_policy_text(text, "p").returns.default_window_days == value


@pytest.mark.parametrize("value", ["30", "yes", "1:30", "2026-13-45x"])
def test_a_timestamp_tag_on_a_non_date_is_refused(value):
    found = located_errors(edit("  filing_window_days: 30", f"  filing_window_days: !!timestamp {value}"))
    assert [(ln, c, code) for ln, c, code, _ in found] == [(20, 23, "yaml-value")]


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "Yes", "OFF"])
def test_yes_no_on_off_where_text_is_expected_are_refused_naming_the_word(word):
    found = located_errors(edit("sleeping_bags: {returnable: false}", f"sleeping_bags: {{returnable: false, label: {word}}}"))
    assert [(ln, c, code) for ln, c, code, _ in found] == [(6, 47, "wrong-type")]
    assert f"YAML 1.1 reads '{word}' as" in found[0][3]


def _loads(text: str) -> bool:
    try:
        load_policy_text(text, "p")
        return True
    except PolicyErrors:
        return False


@pytest.mark.parametrize("word", ["y", "n"])
def test_y_and_n_stay_text(word):
    assert _loads(edit("sleeping_bags: {returnable: false}", f"sleeping_bags: {{returnable: false, label: {word}}}"))


# -- hidden line breaks: locations follow the editor's lines ------------------------------------------

_BREAKS = ["\r", "\x85", "\u2028", "\u2029", "\r\n"]
COMMENTED = MINIMAL.replace("  categories:\n", "  # categories: one entry per category\n  categories:\n", 1).replace(
    "rewards:\n", "# rewards follow\nrewards:\n", 1)
TYPO = ("  fee_per_unit: 0.5", "  fee_per_units: 0.5")


@SETTINGS
@given(brk=st.sampled_from(_BREAKS), where=st.sampled_from(["  # categories: one", "# rewards follow"]), count=st.integers(1, 3))
def test_a_line_break_editors_do_not_show_is_refused_where_it_stands_and_moves_nothing(brk, where, count):
    """After a lone CR, U+0085, U+2028 or U+2029 in a comment, YAML reads the rest of the line: refused, located by editor lines."""
    baseline = located_errors(edit(*TYPO, text=COMMENTED))
    hidden = COMMENTED.replace(where, where + (brk + "# more") * count, 1)  # as a paste of commented lines would
    found = located_errors(edit(*TYPO, text=hidden))
    if brk == "\r\n":  # a real line break: everything below moves down by `count`, nothing is refused
        assert [(ln - count, c, code) for ln, c, code, _ in found] == [(ln, c, code) for ln, c, code, _ in baseline]
        return
    line = COMMENTED.split("\n").index(where + COMMENTED.split(where, 1)[1].split("\n", 1)[0]) + 1
    columns = [len(where) + 1 + i * (len(brk) + len("# more")) for i in range(count)]
    assert [(ln, c, code) for ln, c, code, _ in found] == [(line, c, "yaml-character") for c in columns]


@SETTINGS
@given(brk=st.sampled_from(["\x85", "\u2028", "\u2029"]))
def test_line_separators_in_a_quoted_string_never_move_a_location(brk):
    baseline = located_errors(edit(*TYPO))
    text = edit("sleeping_bags: {returnable: false}", f'sleeping_bags: {{returnable: false, label: "sleeping{brk}bags"}}')
    assert [(ln, c, code) for ln, c, code, _ in located_errors(edit(*TYPO, text=text))] == [
        (ln, c, code) for ln, c, code, _ in baseline]


def test_a_key_hidden_after_a_line_separator_in_a_comment_is_refused():
    text = MINIMAL.replace("  escalation:", "  # note\u2028  default_window_days: 5\n  escalation:", 1)
    found = located_errors(text)
    assert [(ln, c, code) for ln, c, code, _ in found][0] == (10, 9, "yaml-character")


def test_line_separators_in_a_block_scalar_are_refused_too():
    text = MINIMAL.replace("rewards:\n", "description: |\n  one\u2028two\nrewards:\n", 1)
    assert [(ln, c, code) for ln, c, code, _ in located_errors(text)][0] == (12, 6, "yaml-character")


def test_a_byte_order_mark_is_not_a_column():
    found = located_errors("\ufeff" + edit('version: "t1"', "version: 3"))
    assert [(ln, c, code) for ln, c, code, _ in found] == [(1, 10, "wrong-type")]


# -- conditions no request can meet --------------------------------------------------------------------

RULE = "  rules:\n    - id: r1\n      priority: 150\n      when: {{{when}}}\n      then: {{outcome: deny, reason: x}}\n"


@SETTINGS
@given(field=st.sampled_from(["price", "days_since_delivery", "buyer_returns_90d", "window_days"]),
       op=st.sampled_from(["lt", "lte", "eq", "in"]), bound=st.integers(-10**6, 5))
def test_a_rule_is_refused_exactly_when_no_request_can_meet_it(field, op, bound):
    value = f"[{bound}]" if op == "in" else str(bound)
    text = edit("rewards:\n", RULE.format(when=f"{field}: {{{op}: {value}}}") + "rewards:\n")
    possible = bound >= 1 if op == "lt" else bound >= 0  # requests carry 0 or more
    if possible:
        assert _loads(text)
    else:
        found = located_errors(text)
        assert [(ln, c, code) for ln, c, code, _ in found] == [(14, 13, "unreachable")]
        assert f"(on {field})" in found[0][3]


# -- paths that are not regular files ------------------------------------------------------------------

def _load_within(path: str, seconds: float = 5.0) -> PolicyErrors:
    box: list = []

    def run():
        try:
            load_policy(path)
        except PolicyErrors as exc:
            box.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert box, f"loading {path} blocked or did not fail"
    return box[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_loading_a_fifo_fails_at_once(tmp_path):
    fifo = tmp_path / "policy.yaml"
    os.mkfifo(fifo)
    assert [str(e) for e in _load_within(str(fifo)).errors] == [
        f"{fifo}:1:1: not-a-file: the path is a FIFO (named pipe), not a regular file"]


@pytest.mark.parametrize("path", ["/dev/zero", "/dev/urandom", "/dev/null", "/"])
def test_loading_a_device_or_directory_fails_at_once(path):
    if not os.path.exists(path):
        pytest.skip(f"no {path}")
    (error,) = _load_within(path).errors
    assert error.code == "not-a-file" and re.search(r"the path is a (character device|directory)", error.message)


@SETTINGS
@given(start=st.integers(0, len(MINIMAL) - 1), insert=st.text(alphabet=st.characters(codec=None, categories=None), max_size=8))
def test_no_error_message_ever_prints_an_unsafe_character(start, insert):
    try:
        load_policy_text(MINIMAL[:start] + insert + MINIMAL[start:], "p.yaml")
    except PolicyErrors as exc:
        assert not UNSAFE_CHARACTERS.search(str(exc))


@SETTINGS
@given(text=st.text(alphabet="ab \n\r\x85\u2028\u2029\t", max_size=60), data=st.data())
def test_positions_count_lines_by_line_feeds_only(text, data):
    from policy.errors import Positions

    offset = data.draw(st.integers(0, len(text)))
    before = text[:offset]
    assert Positions(text).at(offset) == (before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1)


@SETTINGS
@given(sign=st.sampled_from(["", "-", "+"]), parts=st.lists(st.integers(0, 59), min_size=1, max_size=3), head=st.integers(1, 999),
       octal=st.integers(0, 7**6), fraction=st.booleans())
def test_any_octal_or_base_60_spelling_is_refused(sign, parts, head, octal, fraction):
    sexagesimal = sign + str(head) + "".join(f":{p:02d}" for p in parts) + (".5" if fraction else "")
    leading_zero = sign + "0" + format(octal, "o")
    for numeral in (sexagesimal, leading_zero):
        found = located_errors(edit("  default_window_days: 30", f"  default_window_days: {numeral}"))
        assert [(ln, c, code) for ln, c, code, _ in found] == [(3, 24, "yaml-implicit")], (numeral, found)


@pytest.mark.parametrize("raw", ["\ud800", "\udfff", "\x00", "\x1b", "\x9b"])
def test_a_raw_unsafe_character_in_policy_text_is_a_located_yaml_character_error(raw):
    found = located_errors(edit('version: "t1"', f'version: "t{raw}1"'))
    assert [(ln, c, code) for ln, c, code, _ in found] == [(1, 12, "yaml-character")]
