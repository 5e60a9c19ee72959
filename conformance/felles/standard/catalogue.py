"""The component catalogue: which components and versions the standard defines.

A component version exists when ``schemas/<name>/<MAJOR.MINOR>/`` exists; its
spec, OpenAPI document, examples and requirements are found by convention.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import yaml

from felles.errors import StandardError, UnknownComponentError
from felles.standard.paths import examples_dir, schemas_dir, spec_dir, standard_root
from felles.standard.registry import load_json
from felles.standard.requirements import SpecRequirement, parse_requirements

_VERSION = re.compile(r"^(?P<major>0|[1-9][0-9]*)\.(?P<minor>0|[1-9][0-9]*)$")


def parse_version(text: str) -> tuple[int, int]:
    match = _VERSION.match(text)
    if not match:
        raise UnknownComponentError(f"version {text!r} is not MAJOR.MINOR", hint="for example 1.0")
    return int(match.group("major")), int(match.group("minor"))


@dataclass(frozen=True)
class Component:
    """One version of one component, with everything the standard says about it."""

    name: str
    version: str
    root: Path

    @property
    def key(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def schema_dir(self) -> Path:
        return schemas_dir(self.root) / self.name / self.version

    @property
    def spec_path(self) -> Path:
        return spec_dir(self.root) / self.name / self.version / "index.md"

    @property
    def examples_path(self) -> Path:
        return examples_dir(self.root) / self.name / self.version

    @property
    def openapi_path(self) -> Path:
        return self.schema_dir / "openapi.yaml"

    def schema_names(self) -> list[str]:
        return sorted(p.name.removesuffix(".schema.json") for p in self.schema_dir.glob("*.schema.json"))

    def schema(self, name: str) -> dict[str, Any]:
        path = self.schema_dir / f"{name}.schema.json"
        if not path.is_file():
            raise UnknownComponentError(
                f"{self.key} has no schema {name!r}",
                hint="known: " + ", ".join(self.schema_names()),
            )
        contents = load_json(path)
        if not isinstance(contents, dict):
            raise StandardError(f"{path}: a schema must be a JSON object")
        return contents

    def schema_id(self, name: str) -> str:
        schema_id = self.schema(name).get("$id")
        if not isinstance(schema_id, str):
            raise StandardError(f"{self.schema_dir / name}.schema.json has no $id")
        return schema_id

    @cached_property
    def requirements(self) -> list[SpecRequirement]:
        """The spec's requirement blocks; empty for a data-only component."""
        if not self.spec_path.is_file():
            return []
        return parse_requirements(self.spec_path)

    @property
    def conformance_classes(self) -> list[str]:
        """Classes in the order the spec first mentions them."""
        seen: dict[str, None] = {}
        for requirement in self.requirements:
            seen.setdefault(requirement.conformance_class, None)
        return list(seen)

    def requirement(self, requirement_id: str) -> SpecRequirement:
        for candidate in self.requirements:
            if candidate.requirement_id == requirement_id:
                return candidate
        raise StandardError(f"{self.key}: no requirement {requirement_id}")

    def openapi(self) -> dict[str, Any]:
        try:
            document = yaml.safe_load(self.openapi_path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise StandardError(f"{self.openapi_path}: cannot read: {exc.strerror}") from exc
        except yaml.YAMLError as exc:
            raise StandardError(f"{self.openapi_path}: invalid YAML: {exc}") from exc
        if not isinstance(document, dict):
            raise StandardError(f"{self.openapi_path}: an OpenAPI document must be a mapping")
        return document


class Catalogue:
    """All component versions under one standard root."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or standard_root()

    def components(self) -> list[Component]:
        base = schemas_dir(self.root)
        found = [
            Component(name=version_dir.parent.name, version=version_dir.name, root=self.root)
            for version_dir in sorted(base.glob("*/*"))
            if version_dir.is_dir() and _VERSION.match(version_dir.name)
        ]
        return sorted(found, key=lambda c: (c.name, parse_version(c.version)))

    def testable(self) -> list[Component]:
        """Components that have requirements (an API to test), not just shared data types."""
        return [c for c in self.components() if c.requirements]

    def get(self, spec: str) -> Component:
        """Resolve ``name@version`` (or bare ``name`` = newest version)."""
        name, _, version = spec.partition("@")
        candidates = [c for c in self.components() if c.name == name]
        if not candidates:
            known = sorted({c.name for c in self.components()})
            raise UnknownComponentError(f"unknown component {name!r}", hint="known: " + ", ".join(known))
        if not version:
            return candidates[-1]
        parse_version(version)
        for candidate in candidates:
            if candidate.version == version:
                return candidate
        raise UnknownComponentError(
            f"{name} has no version {version}",
            hint="known: " + ", ".join(c.version for c in candidates),
        )


@lru_cache(maxsize=4)
def default_catalogue() -> Catalogue:
    return Catalogue()
