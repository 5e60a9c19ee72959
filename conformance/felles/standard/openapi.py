"""Validate a component's OpenAPI 3.1 document offline.

openapi-spec-validator resolves ``$ref``s by URL; its handlers are replaced
here by the standard's registry (for ``https://felles.example/...``) and the
local file system (for relative refs), so validation never touches the
network and a dangling ``$ref`` is reported as such.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import yaml
from jsonschema_path import SchemaPath
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
from openapi_spec_validator.validation.validators import OpenAPIV31SpecValidator
from referencing.exceptions import NoSuchResource, Unresolvable

from felles.errors import StandardError
from felles.standard.catalogue import Component
from felles.standard.registry import SCHEMA_BASE, build_registry, default_registry, load_json

# openapi-spec-validator switches to jsonschema-rs whenever it is installed (it is, for
# felles.standard.validation), and its messages change with it: keep lint output stable.
os.environ.setdefault("OPENAPI_SPEC_VALIDATOR_SCHEMA_VALIDATOR_BACKEND", "jsonschema")


class _OfflineHandler:
    """Answers ``$ref`` URLs from the registry or local files; never from the network."""

    def __call__(self, uri: str) -> Any:
        if uri.startswith(SCHEMA_BASE):
            try:
                return default_registry().contents(uri.split("#", 1)[0])
            except (NoSuchResource, LookupError, Unresolvable):
                raise StandardError(f"$ref {uri} is not a schema of the standard") from None
        parts = urlsplit(uri)
        if parts.scheme == "file":
            path = Path(parts.path)
            if path.suffix in (".yaml", ".yml"):
                return yaml.safe_load(path.read_text(encoding="utf-8"))
            return load_json(path)
        raise StandardError(f"$ref {uri} points outside the standard; refusing to fetch it")


def openapi_errors(component: Component) -> list[str]:
    """Every problem openapi-spec-validator finds in the component's document."""
    document = component.openapi()
    handler = _OfflineHandler()
    handlers = {"https": handler, "http": handler, "file": handler, "<all_urls>": handler}
    base_uri = component.openapi_path.resolve().as_uri()
    spec = SchemaPath.from_dict(document, base_uri=base_uri, handlers=handlers)
    validator = OpenAPIV31SpecValidator(spec, base_uri=base_uri)
    messages = []
    try:
        for error in validator.iter_errors():
            where = "/".join(str(p) for p in getattr(error, "path", []))
            messages.append(f"{component.openapi_path}: {where or '/'}: {getattr(error, 'message', error)}")
    except OpenAPIValidationError as exc:
        messages.append(f"{component.openapi_path}: {exc}")
    except (StandardError, Unresolvable) as exc:
        messages.append(f"{component.openapi_path}: {exc}")
    return messages + dangling_refs(component, document)


def dangling_refs(component: Component, document: dict[str, Any]) -> list[str]:
    """``$ref``s of the document that do not resolve in the standard (the validator
    itself only follows the refs it needs, so a broken schema ref would go unseen)."""
    registry = build_registry(component.root)
    own_uri = f"{SCHEMA_BASE}{component.name}/{component.version}/openapi.yaml"
    problems = []
    for where, ref in _refs(document, ""):
        target = urljoin(own_uri, ref)
        uri, _, fragment = target.partition("#")
        try:
            contents: Any = document if uri == own_uri else registry.contents(uri)
            for token in [t for t in fragment.split("/") if t]:
                key = token.replace("~1", "/").replace("~0", "~")
                contents = contents[int(key)] if isinstance(contents, list) else contents[key]
        except (LookupError, ValueError, TypeError, NoSuchResource, Unresolvable):
            problems.append(f"{component.openapi_path}: {where}: $ref {ref} does not resolve in the standard")
    return problems


def _refs(node: Any, where: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            found.append((where or "/", ref))
        for key, value in node.items():
            found += _refs(value, f"{where}/{str(key).replace('~', '~0').replace('/', '~1')}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _refs(value, f"{where}/{index}")
    return found
