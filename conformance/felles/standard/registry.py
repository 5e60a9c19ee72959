"""The offline ``$ref`` registry: every schema of the standard, by its ``$id``.

All ``$ref``s resolve from local files only. A reference to anything not in
the standard raises instead of being fetched, so a dangling ``$ref`` is found
at lint time and no run ever touches the network.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT202012

from felles.errors import StandardError
from felles.standard.paths import schemas_dir

SCHEMA_BASE = "https://felles.example/schemas/"


def schema_uri(component: str, version: str, name: str) -> str:
    """Canonical ``$id`` of a schema file."""
    return f"{SCHEMA_BASE}{component}/{version}/{name}.schema.json"


def load_json(path: Path) -> Any:
    """Read a JSON file, turning syntax errors into a message that names the file."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise StandardError(
            f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from exc
    except OSError as exc:
        raise StandardError(f"{path}: cannot read: {exc.strerror}") from exc


def _refuse_remote(uri: str) -> Resource[Any]:
    raise NoSuchResource(ref=uri)  # type: ignore[call-arg]


def build_registry(root: Path | None = None) -> Registry[Any]:
    """Register every ``*.schema.json`` under ``schemas/`` by its ``$id``."""
    resources: list[tuple[str, Resource[Any]]] = []
    base = schemas_dir(root)
    for path in sorted(base.glob("*/*/*.schema.json")):
        contents = load_json(path)
        uri = contents.get("$id") if isinstance(contents, dict) else None
        if not isinstance(uri, str):
            raise StandardError(f"{path}: schema has no string $id")
        resources.append((uri, Resource.from_contents(contents, default_specification=DRAFT202012)))
    return Registry(retrieve=_refuse_remote).with_resources(resources).crawl()  # type: ignore[call-arg]


@lru_cache(maxsize=4)
def default_registry() -> Registry[Any]:
    """The registry of the installed standard, built once per process."""
    return build_registry()
