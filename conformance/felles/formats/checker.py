"""The JSON Schema format checker every Felles validator uses.

jsonschema only asserts a format when a checker is registered for it, and it
registers several standard ones only if optional packages are installed
(``uri`` needs rfc3987, ``json-pointer`` needs jsonpointer); others are
lenient (``email`` only looks for an ``@``). An unregistered format silently
passes, which would let a non-conforming implementation through. So the
formats the standard relies on are registered here explicitly, with checks
that follow their RFCs, on top of a copy of the Draft 2020-12 checker.

As JSON Schema requires, a format only constrains strings: every check
returns True for any other instance type.
"""

from __future__ import annotations

import datetime
import ipaddress
import re
from collections.abc import Callable
from typing import Final

import jsonschema
from rfc3339_validator import validate_rfc3339

from felles.formats.account import is_account_number
from felles.formats.municipality import is_municipality_number
from felles.formats.national_id import is_national_identity_number
from felles.formats.organization import is_organization_number

NATIONAL_IDENTITY_NUMBER: Final = "no-national-identity-number"
ORGANIZATION_NUMBER: Final = "no-organization-number"
ACCOUNT_NUMBER: Final = "no-account-number"
MUNICIPALITY_NUMBER: Final = "no-municipality-number"

FELLES_FORMATS: Final[tuple[str, ...]] = (
    NATIONAL_IDENTITY_NUMBER,
    ORGANIZATION_NUMBER,
    ACCOUNT_NUMBER,
    MUNICIPALITY_NUMBER,
)

# --- RFC 3986 (URI) -------------------------------------------------------------------------
_UNRESERVED = r"A-Za-z0-9\-._~"
_SUB_DELIMS = r"!$&'()*+,;="
_PCT = r"%[0-9A-Fa-f]{2}"
_PCHAR = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}:@]|{_PCT})"
_SEGMENT = rf"{_PCHAR}*"
_SEGMENT_NZ = rf"{_PCHAR}+"
_SEGMENT_NZ_NC = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}@]|{_PCT})+"
_USERINFO = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}:]|{_PCT})*"
_IP_LITERAL = rf"\[(?P<ip>[0-9A-Fa-f:.]+|v[0-9A-Fa-f]+\.[{_UNRESERVED}{_SUB_DELIMS}:]+)\]"
_REG_NAME = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}]|{_PCT})*"
_AUTHORITY = rf"(?:{_USERINFO}@)?(?:{_IP_LITERAL}|{_REG_NAME})(?::[0-9]*)?"
_PATH_ABEMPTY = rf"(?:/{_SEGMENT})*"
_PATH_ABSOLUTE = rf"/(?:{_SEGMENT_NZ}(?:/{_SEGMENT})*)?"
_PATH_ROOTLESS = rf"{_SEGMENT_NZ}(?:/{_SEGMENT})*"
_PATH_NOSCHEME = rf"{_SEGMENT_NZ_NC}(?:/{_SEGMENT})*"
_QUERY_OR_FRAGMENT = rf"(?:{_PCHAR}|[/?])*"
_TAIL = rf"(?:\?{_QUERY_OR_FRAGMENT})?(?:#{_QUERY_OR_FRAGMENT})?"
_SCHEME = r"[A-Za-z][A-Za-z0-9+\-.]*"

_URI: Final = re.compile(
    rf"{_SCHEME}:(?://{_AUTHORITY}{_PATH_ABEMPTY}|{_PATH_ABSOLUTE}|{_PATH_ROOTLESS}|){_TAIL}"
)
_RELATIVE_REF: Final = re.compile(
    rf"(?://{_AUTHORITY}{_PATH_ABEMPTY}|{_PATH_ABSOLUTE}|{_PATH_NOSCHEME}|){_TAIL}"
)

# --- other standard formats -----------------------------------------------------------------
_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_UUID: Final = re.compile(r"[0-9A-Fa-f]{8}-(?:[0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}")
_JSON_POINTER: Final = re.compile(r"(?:/(?:[^~/]|~[01])*)*")
# RFC 5321/5322 addr-spec without comments or obsolete syntax: dot-atom or quoted local part,
# and a domain of LDH labels or an address literal. Non-ASCII belongs to "idn-email".
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]+"
_LOCAL_PART = rf'(?:{_ATEXT}(?:\.{_ATEXT})*|"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x20-\x7e])*")'
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
_EMAIL: Final = re.compile(
    rf"(?P<local>{_LOCAL_PART})@(?P<domain>{_LABEL}(?:\.{_LABEL})*|\[(?P<literal>[^\[\]\\]+)\])"
)


def _has_valid_ip_literal(match: re.Match[str]) -> bool:
    """RFC 3986 IP-literal: IPvFuture as matched, otherwise a real IPv6 address."""
    literal = match.group("ip")
    if literal is None or literal.startswith("v"):
        return True
    try:
        ipaddress.IPv6Address(literal)
    except ValueError:
        return False
    return True


def is_uri(instance: object) -> bool:
    """RFC 3986 ``URI``: a scheme followed by a syntactically valid hierarchical part."""
    if not isinstance(instance, str):
        return True
    match = _URI.fullmatch(instance)
    return match is not None and _has_valid_ip_literal(match)


def is_uri_reference(instance: object) -> bool:
    """RFC 3986 ``URI-reference``: a URI or a relative reference."""
    if not isinstance(instance, str):
        return True
    if is_uri(instance):
        return True
    match = _RELATIVE_REF.fullmatch(instance)
    return match is not None and _has_valid_ip_literal(match)


def is_json_pointer(instance: object) -> bool:
    """RFC 6901: empty, or ``/``-prefixed tokens where ``~`` is only ``~0`` or ``~1``."""
    return not isinstance(instance, str) or _JSON_POINTER.fullmatch(instance) is not None


def is_email(instance: object) -> bool:
    """An ASCII address ``local@domain`` (RFC 5321 limits: local part 64, address 254)."""
    if not isinstance(instance, str):
        return True
    match = _EMAIL.fullmatch(instance)
    if match is None or len(instance) > 254 or len(match.group("local")) > 64:
        return False
    literal = match.group("literal")
    if literal is None:
        return len(match.group("domain")) <= 253
    try:
        if literal.startswith("IPv6:"):
            ipaddress.IPv6Address(literal[5:])
        else:
            ipaddress.IPv4Address(literal)
    except ValueError:
        return False
    return True


def is_date(instance: object) -> bool:
    """RFC 3339 ``full-date``: ``YYYY-MM-DD`` and a real calendar date."""
    if not isinstance(instance, str):
        return True
    if not _DATE.fullmatch(instance):
        return False
    try:
        datetime.date.fromisoformat(instance)
    except ValueError:
        return False
    return True


def is_date_time(instance: object) -> bool:
    """RFC 3339 ``date-time``: date, ``T``, time and a mandatory offset (``Z`` or ``±hh:mm``)."""
    return not isinstance(instance, str) or bool(validate_rfc3339(instance.upper()))


def is_uuid(instance: object) -> bool:
    """RFC 9562 string form only: 8-4-4-4-12 hex digits (no braces, no ``urn:uuid:``)."""
    return not isinstance(instance, str) or _UUID.fullmatch(instance) is not None


def _strings_only(check: Callable[[str], bool]) -> Callable[[object], bool]:
    """Adapt a str predicate to JSON Schema semantics: non-strings are not constrained."""

    def format_check(instance: object) -> bool:
        return not isinstance(instance, str) or check(instance)

    format_check.__doc__ = check.__doc__
    return format_check


_STANDARD_FORMATS: Final[dict[str, Callable[[object], bool]]] = {
    "date": is_date,
    "date-time": is_date_time,
    "email": is_email,
    "uuid": is_uuid,
    "uri": is_uri,
    "uri-reference": is_uri_reference,
    "json-pointer": is_json_pointer,
}

_FELLES_FORMATS: Final[dict[str, Callable[[object], bool]]] = {
    NATIONAL_IDENTITY_NUMBER: _strings_only(is_national_identity_number),
    ORGANIZATION_NUMBER: _strings_only(is_organization_number),
    ACCOUNT_NUMBER: _strings_only(is_account_number),
    MUNICIPALITY_NUMBER: _strings_only(is_municipality_number),
}


def format_checker() -> jsonschema.FormatChecker:
    """A fresh Draft 2020-12 format checker with strict standard formats and the Felles formats.

    A new instance each call, so a caller that registers more formats never
    changes what other validators check.
    """
    base = jsonschema.Draft202012Validator.FORMAT_CHECKER
    checker = jsonschema.FormatChecker(formats=())
    checker.checkers.update(base.checkers)
    for name, check in {**_STANDARD_FORMATS, **_FELLES_FORMATS}.items():
        checker.checks(name)(check)
    return checker
