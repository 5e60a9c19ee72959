"""Payload strategies for one component, by schema name.

A thin façade over :mod:`felles.strategies` so that checks say
``gen.valid("ApplicationSubmission")`` and never build schema URIs.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from hypothesis import strategies as st

from felles.standard import Component
from felles.standard.validation import SchemaValidator, validator_for
from felles.strategies.from_schema import from_schema
from felles.strategies.near_miss import NearMiss, all_near_misses, near_misses


class Generators:
    def __init__(self, component: Component) -> None:
        self.component = component

    @cache  # noqa: B019 - one Generators per run; strategies are immutable
    def schema_id(self, name: str) -> str:
        return self.component.schema_id(name)

    def valid(self, schema_name: str) -> st.SearchStrategy[Any]:
        return from_schema(self.schema_id(schema_name))

    def near_miss(self, schema_name: str) -> st.SearchStrategy[NearMiss]:
        """A valid instance with exactly one member broken, and the pointer to it."""
        uri = self.schema_id(schema_name)
        return from_schema(uri).flatmap(lambda valid: near_misses(uri, valid))

    def all_near_misses(self, schema_name: str, valid: Any) -> list[NearMiss]:
        """One verified break per (member, reason) of ``valid``: for systematic checks."""
        return all_near_misses(self.schema_id(schema_name), valid)

    def validator(self, schema_name: str) -> SchemaValidator:
        return validator_for(self.schema_id(schema_name))
