"""RFC 8785 canonical JSON: the test vectors of the RFC, and the refusals that keep it exact."""

from __future__ import annotations

import json
import math
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from felles.errors import ReportError
from felles.report.canonical import MAX_SAFE_INTEGER, canonicalize, format_number, loads_strict

# RFC 8785 Appendix B: IEEE 754 bit patterns and their canonical text.
APPENDIX_B = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


def _double(bits: str) -> float:
    value: float = struct.unpack(">d", bytes.fromhex(bits))[0]
    return value


@pytest.mark.parametrize(("bits", "expected"), APPENDIX_B)
def test_rfc8785_appendix_b_numbers(bits: str, expected: str) -> None:
    assert format_number(_double(bits)) == expected


@pytest.mark.parametrize("bits", ["7fffffffffffffff", "7ff0000000000000", "fff0000000000000"])
def test_nan_and_infinity_are_refused(bits: str) -> None:
    with pytest.raises(ReportError, match="not allowed in JSON"):
        canonicalize({"x": [_double(bits)]})


def test_rfc8785_section_3_2_2_example() -> None:
    text = (
        '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],'
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
        ' "literals": [null, true, false]}'
    )
    expected = (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert canonicalize(loads_strict(text)) == expected.encode("utf-8")


def test_rfc8785_section_3_2_3_sorts_by_utf16_code_units() -> None:
    text = (
        '{"\\u20ac": "Euro Sign", "\\r": "Carriage Return", "\\ufb33": "Hebrew Letter Dalet With Dagesh",'
        ' "1": "One", "\\ud83d\\ude00": "Emoji: Grinning Face", "\\u0080": "Control",'
        ' "\\u00f6": "Latin Small Letter O With Diaeresis"}'
    )
    canonical = json.loads(canonicalize(loads_strict(text)))
    # Code-point order would put U+FB33 before the emoji; UTF-16 order puts the surrogates first.
    assert list(canonical) == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


def test_whitespace_order_and_escapes_do_not_change_the_canonical_form() -> None:
    one = '{"b": [1, 2.50, "å"], "a": {"y": null, "x": true}}'
    two = '{\n  "a": {"x": true, "y": null},\n  "b": [1e0, 25e-1, "\\u00e5"]\n}'
    assert canonicalize(loads_strict(one)) == canonicalize(loads_strict(two))
    assert canonicalize(loads_strict(one)) == '{"a":{"x":true,"y":null},"b":[1,2.5,"å"]}'.encode()


def test_every_value_change_changes_the_canonical_form() -> None:
    base = {"a": 1, "b": "x", "c": True, "d": None, "e": 0.5}
    variants = [
        {**base, "a": 2},
        {**base, "b": "y"},
        {**base, "b": "x "},
        {**base, "c": False},
        {**base, "d": 0},
        {**base, "e": 0.25},
        {**base, "f": 1},
        {k: v for k, v in base.items() if k != "a"},
        {**base, "a": "1"},
    ]
    forms = {canonicalize(v) for v in variants}
    assert len(forms) == len(variants)
    assert canonicalize(base) not in forms


def test_control_characters_are_escaped_in_lower_case_hex() -> None:
    assert canonicalize("\x00\x1f\x7f\t") == b'"\\u0000\\u001f\x7f\\t"'


def test_integers_beyond_double_precision_are_refused() -> None:
    assert canonicalize(MAX_SAFE_INTEGER) == str(MAX_SAFE_INTEGER).encode()
    assert canonicalize(-MAX_SAFE_INTEGER) == str(-MAX_SAFE_INTEGER).encode()
    # 2**53 + 1 would round to 2**53 in RFC 8785: two different seeds must never sign alike.
    for value in (2**53, 2**53 + 1, -(2**53) - 1, 2**63 - 1):
        with pytest.raises(ReportError, match=r"/seed cannot be signed"):
            canonicalize({"seed": value})
    with pytest.raises(ReportError, match="beyond"):
        loads_strict('{"seed": 9007199254740993}')
    assert loads_strict('{"seed": 9007199254740991}') == {"seed": MAX_SAFE_INTEGER}


def test_lone_surrogates_are_refused() -> None:
    with pytest.raises(ReportError, match="lone surrogate"):
        canonicalize(loads_strict('{"a": "\\ud800"}'))


def test_non_json_values_are_refused() -> None:
    with pytest.raises(ReportError, match="/a/0"):
        canonicalize({"a": [object()]})
    with pytest.raises(ReportError, match="non-string key"):
        canonicalize({1: "x"})


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('{"a": 1, "a": 2}', "member 'a' twice"),
        ('{"a": NaN}', "NaN"),
        ('{"a": -Infinity}', "-Infinity"),
        ('{"a": ', "not valid JSON"),
        (b"\xff\xfe", "not UTF-8"),
        ("\ufeff{}", "byte-order mark"),
        ("1" * 5000, "cannot be read"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
)
def test_strict_reader_refuses_ambiguous_input(text: str | bytes, needle: str) -> None:
    with pytest.raises(ReportError, match=needle):
        loads_strict(text, what="test input")


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_numbers_round_trip_exactly(value: float) -> None:
    text = format_number(value)
    assert float(text) == value or (value == 0 and float(text) == 0)
    # ECMAScript never writes a trailing ".0", a "+" in a small exponent or leading zeros.
    assert not text.endswith(".0")
    assert "e" not in text or abs(value) >= 1e21 or abs(value) < 1e-6


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER)
    # Doubles in [2**53, 1e21) are written as integer literals the strict reader
    # refuses; reports never hold such numbers, and verification never re-reads
    # canonical text.
    | st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: not 2**53 <= abs(x) < 1e21)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_canonical_form_is_a_fixed_point(value: object) -> None:
    canonical = canonicalize(value)
    assert canonicalize(loads_strict(canonical)) == canonical
    pretty = json.dumps(value, indent=3, ensure_ascii=True)
    assert canonicalize(loads_strict(pretty)) == canonical


def test_format_number_of_integral_floats() -> None:
    assert format_number(25.0) == "25"
    assert format_number(-0.0) == "0"
    assert format_number(1e21) == "1e+21"
    assert format_number(123e-20) == "1.23e-18"
    assert math.isclose(float(format_number(0.1 + 0.2)), 0.30000000000000004)
