"""Canonical JSON (RFC 8785, the JSON Canonicalization Scheme) and a strict JSON reader.

A signature covers *meaning*, not bytes on disk: two files that differ only in
whitespace, key order, string escapes (``"\\u00e5"`` vs ``"å"``) or number
spelling (``1e2`` vs ``100``) have the same canonical form, so re-indenting a
report never breaks its signature, while changing any value always does.

RFC 8785 in short: objects with members sorted by the UTF-16 code units of their
names, no insignificant whitespace, strings escaped minimally (``"``, ``\\`` and
control characters only; everything else as UTF-8), numbers written as
ECMAScript's ``Number.prototype.toString`` writes IEEE 754 doubles.

Where RFC 8785 would silently lose information this module refuses instead
(:class:`~felles.errors.ReportError`): integers beyond ±(2**53 - 1) (RFC 8785
rounds them to a double, so two different seeds would canonicalise alike; the
reader refuses such integer literals too), NaN and infinities, strings with
lone surrogates. :func:`loads_strict` likewise refuses
duplicate object member names, whose meaning differs between JSON parsers.
"""

from __future__ import annotations

import json
import math
from typing import Any

from felles.errors import ReportError

__all__ = ["MAX_SAFE_INTEGER", "canonicalize", "format_number", "loads_strict"]

# I-JSON (RFC 7493) and RFC 8785: integers a double represents exactly.
MAX_SAFE_INTEGER = 2**53 - 1

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def canonicalize(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of a JSON value (dict, list, str, number, bool, None)."""
    parts: list[str] = []
    _write(value, parts, "")
    text = "".join(parts)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ReportError(
            f"JSON text contains a lone surrogate (U+{ord(text[exc.start]):04X}) that has no UTF-8 form",
            hint="RFC 8785 requires well-formed Unicode",
        ) from None


def _write(value: Any, out: list[str], pointer: str) -> None:
    # bool before int: True is an int in Python.
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, int | float):
        out.append(_number(value, pointer))
    elif isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise ReportError(f"JSON object at {pointer or '/'} has a non-string key {key!r}")
        out.append("{")
        for index, key in enumerate(sorted(value, key=_utf16_units)):
            if index:
                out.append(",")
            out.append(_string(key))
            out.append(":")
            _write(value[key], out, f"{pointer}/{_escape_pointer(key)}")
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _write(item, out, f"{pointer}/{index}")
        out.append("]")
    else:
        raise ReportError(f"value at {pointer or '/'} is a {type(value).__name__}, not JSON data")


def _utf16_units(key: str) -> bytes:
    # Big-endian UTF-16 bytes compare exactly as the sequence of UTF-16 code units does.
    return key.encode("utf-16-be", "surrogatepass")


def _escape_pointer(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _string(text: str) -> str:
    out = ['"']
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif char < " ":
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _number(value: int | float, pointer: str) -> str:
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            # RFC 8785 treats every number as a double: 2**53 + 1 would be rounded
            # to 2**53, and two different seeds would sign alike.
            raise ReportError(
                f"the integer {value} at {pointer or '/'} cannot be signed: canonical JSON "
                f"(RFC 8785) holds integers exactly only up to ±{MAX_SAFE_INTEGER}",
                hint="use a smaller value, e.g. a --seed below 2^53",
            )
        return str(value)
    return format_number(value, pointer)


def format_number(value: float, pointer: str = "") -> str:
    """ECMAScript ``Number.prototype.toString`` of a double (RFC 8785 section 3.2.2.3)."""
    if not math.isfinite(value):
        raise ReportError(f"the number {value} at {pointer or '/'} is not allowed in JSON")
    if value == 0:
        return "0"  # also -0
    sign = "-" if value < 0 else ""
    # repr() gives the shortest digit string that round-trips, as ECMAScript requires.
    mantissa, _, exponent_text = repr(abs(value)).partition("e")
    exponent = int(exponent_text) if exponent_text else 0
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    # Position of the decimal point relative to the first significant digit:
    # value = 0.<digits> * 10**point.
    point = len(whole.lstrip("0")) + exponent if whole.strip("0") else exponent - _leading_zeros(fraction)
    digits = digits.rstrip("0")
    count = len(digits)
    if count <= point <= 21:
        text = digits + "0" * (point - count)
    elif 0 < point <= 21:
        text = f"{digits[:point]}.{digits[point:]}"
    elif -6 < point <= 0:
        text = "0." + "0" * (-point) + digits
    else:
        power = point - 1
        exponent_sign = "+" if power >= 0 else "-"
        head = digits[0] if count == 1 else f"{digits[0]}.{digits[1:]}"
        text = f"{head}e{exponent_sign}{abs(power)}"
    return sign + text


def _leading_zeros(fraction: str) -> int:
    return len(fraction) - len(fraction.lstrip("0"))


def loads_strict(text: str | bytes, *, what: str = "JSON text") -> Any:
    """Parse JSON, refusing what RFC 8785 cannot canonicalise unambiguously.

    Duplicate member names, ``NaN``/``Infinity``, integers beyond ±(2**53 - 1)
    and invalid UTF-8 raise
    :class:`ReportError` naming ``what`` and the place of the problem.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ReportError(f"{what} is not UTF-8 (invalid byte at offset {exc.start})") from None
    if text.startswith("\ufeff"):
        raise ReportError(f"{what} starts with a byte-order mark", hint="JSON (RFC 8259) must not have one")

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, item in items:
            if key in result:
                raise ReportError(
                    f"{what} has the member {key!r} twice in one object",
                    hint="duplicate names are ambiguous and never produced by Felles",
                )
            result[key] = item
        return result

    def constant(name: str) -> Any:
        raise ReportError(f"{what} contains {name}, which is not JSON")

    def integer(literal: str) -> int:
        value = int(literal)
        if abs(value) > MAX_SAFE_INTEGER:
            raise ReportError(
                f"{what} contains the integer {literal[:40]}, beyond ±{MAX_SAFE_INTEGER}",
                hint="such integers cannot be compared exactly (RFC 7493, RFC 8785)",
            )
        return value

    try:
        return json.loads(text, object_pairs_hook=pairs, parse_constant=constant, parse_int=integer)
    except json.JSONDecodeError as exc:
        raise ReportError(
            f"{what} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    except ValueError as exc:  # e.g. an integer literal of thousands of digits
        raise ReportError(f"{what} cannot be read: {exc}") from None
    except RecursionError:
        raise ReportError(f"{what} is nested too deeply") from None
