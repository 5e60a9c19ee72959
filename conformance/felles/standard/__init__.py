"""The standard as data: components, schemas, requirements, offline validation."""

from felles.standard.catalogue import Catalogue, Component, default_catalogue, parse_version
from felles.standard.registry import SCHEMA_BASE, build_registry, default_registry, schema_uri
from felles.standard.requirements import SpecRequirement, parse_requirements

__all__ = [
    "SCHEMA_BASE",
    "Catalogue",
    "Component",
    "SpecRequirement",
    "build_registry",
    "default_catalogue",
    "default_registry",
    "parse_requirements",
    "parse_version",
    "schema_uri",
]
