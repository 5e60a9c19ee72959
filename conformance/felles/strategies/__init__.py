"""Hypothesis strategies: payloads from the standard's schemas, near-misses, identifiers.

``from_schema`` gives valid instances of a schema; ``near_misses`` breaks
exactly one member of a valid instance and says where and how, which is what
the runner needs to check that a system rejects bad input at the right
field. The identifier strategies (valid and invalid fødselsnummer,
organisasjonsnummer, kontonummer, kommunenummer) are re-exported too; their
own near-miss type stays in :mod:`felles.strategies.identifiers` to keep the
name ``NearMiss`` for schema-level near-misses.
"""

from felles.strategies.from_schema import (
    SUPPORTED_FORMATS,
    SUPPORTED_KEYWORDS,
    UnsupportedSchemaError,
    from_schema,
)
from felles.strategies.identifiers import (
    INVALID_FORMAT_STRATEGIES,
    VALID_FORMAT_STRATEGIES,
    account_numbers,
    child_national_identity_numbers,
    invalid_account_numbers,
    invalid_municipality_numbers,
    invalid_national_identity_numbers,
    invalid_organization_numbers,
    municipality_numbers,
    national_identity_numbers,
    organization_numbers,
)
from felles.strategies.near_miss import REASONS, NearMiss, all_near_misses, near_misses

__all__ = [
    "INVALID_FORMAT_STRATEGIES",
    "REASONS",
    "SUPPORTED_FORMATS",
    "SUPPORTED_KEYWORDS",
    "VALID_FORMAT_STRATEGIES",
    "NearMiss",
    "UnsupportedSchemaError",
    "account_numbers",
    "all_near_misses",
    "child_national_identity_numbers",
    "from_schema",
    "invalid_account_numbers",
    "invalid_municipality_numbers",
    "invalid_national_identity_numbers",
    "invalid_organization_numbers",
    "municipality_numbers",
    "national_identity_numbers",
    "near_misses",
    "organization_numbers",
]
