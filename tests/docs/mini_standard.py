"""A small standard written into a temporary folder: two components, every feature the pages show.

``common@1.0`` holds shared definitions; ``demo@1.0`` a schema with every kind
of member (deprecated, read-only, inline object, array, enum, cross-component
``$ref``), an OpenAPI document, a spec with two classes, examples and a check.
Tests change what they are about and leave the rest, so a page's behaviour
is shown on a standard that does not move while other work goes on.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import yaml

BASE = "https://felles.example/schemas"

IDENTIFIERS = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": f"{BASE}/common/1.0/Identifiers.schema.json",
    "$defs": {
        "Name": {"type": "string", "minLength": 1, "maxLength": 100, "description": "A person's name."},
        "Channel": {"type": "string", "enum": ["sms", "email"], "x-extensible-enum": True},
    },
}

PERSON = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": f"{BASE}/common/1.0/Person.schema.json",
    "title": "Person",
    "type": "object",
    "required": ["name"],
    "properties": {"name": {"$ref": "Identifiers.schema.json#/$defs/Name"}},
}

THING = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": f"{BASE}/demo/1.0/Thing.schema.json",
    "title": "Thing",
    "description": "A thing | with a pipe and *stars*.",
    "type": "object",
    "required": ["id", "owner"],
    "additionalProperties": False,
    "properties": {
        "id": {
            "type": "string",
            "format": "uuid",
            "readOnly": True,
            "description": "Assigned by the system.",
        },
        "owner": {"$ref": f"{BASE}/common/1.0/Person.schema.json"},
        "channel": {"$ref": f"{BASE}/common/1.0/Identifiers.schema.json#/$defs/Channel"},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3, "uniqueItems": True},
        "legacyCode": {"type": "string", "deprecated": True, "description": "Use tags."},
        "status": {"$ref": "#/$defs/Status"},
        "address": {
            "type": "object",
            "required": ["street"],
            "properties": {"street": {"type": "string", "pattern": "^[A-Z]"}},
        },
        "size": {"type": "integer", "minimum": 1, "maximum": 10, "multipleOf": 1, "default": 5},
    },
    "$defs": {"Status": {"type": "string", "enum": ["new", "done"], "description": "Where the thing is."}},
}

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Demo", "version": "1.0", "summary": "The demo API."},
    "servers": [{"url": "http://127.0.0.1:8000/demo/1.0"}],
    "security": [{"oauth": []}],
    "tags": [{"name": "things"}],
    "paths": {
        "/conformance": {
            "get": {
                "operationId": "getConformance",
                "security": [],
                "responses": {"200": {"description": "OK."}},
            }
        },
        "/things": {
            "get": {
                "operationId": "listThings",
                "tags": ["things"],
                "security": [{"oauth": ["demo:read"]}],
                "parameters": [
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 50}}
                ],
                "responses": {
                    "200": {
                        "description": "A page.",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/ThingList"}}
                        },
                    }
                },
            },
            "post": {
                "operationId": "createThing",
                "tags": ["things"],
                "security": [{"oauth": ["demo:write"]}, {"oauth": ["demo:admin"]}],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "Thing.schema.json"}}},
                },
                "responses": {
                    "201": {
                        "description": "Created.",
                        "headers": {"Location": {"schema": {"type": "string"}}},
                        "content": {"application/json": {"schema": {"$ref": "Thing.schema.json"}}},
                    },
                    "400": {"$ref": "#/components/responses/Problem"},
                },
            },
        },
        "/things/{id}": {
            "parameters": [{"$ref": "#/components/parameters/Id"}],
            "delete": {
                "operationId": "deleteThing",
                "deprecated": True,
                "responses": {"204": {"description": "Gone."}},
            },
        },
    },
    "components": {
        "securitySchemes": {
            "oauth": {
                "type": "oauth2",
                "description": "Maskinporten-style token.",
                "flows": {
                    "clientCredentials": {
                        "tokenUrl": "https://maskinporten.example/token",
                        "scopes": {"demo:read": "Read.", "demo:write": "Write.", "demo:admin": "All."},
                    }
                },
            }
        },
        "parameters": {"Id": {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}},
        "responses": {
            "Problem": {
                "description": "A problem.",
                "content": {"application/problem+json": {"schema": {"type": "object"}}},
            }
        },
        "schemas": {
            "ThingList": {
                "type": "object",
                "properties": {"items": {"type": "array", "items": {"$ref": "Thing.schema.json"}}},
            }
        },
    },
}

SPEC = """# demo 1.0 — Demonstration

| | |
|---|---|
| Component | `demo` |
| Status | Draft for trial use |

## Lifecycle

Things are new, then done.

## Class `core`

!!! requirement "/req/demo/core/create"
    **Things are created.** `POST /things` MUST answer `201`.

!!! requirement "/req/demo/core/list"
    **Things are listed.** `GET /things` SHOULD page; see [the lifecycle](#lifecycle) | and more.

## Class `extra`

!!! requirement "/req/demo/extra/delete"
    **Things can be deleted.** `DELETE /things/{id}` MUST answer `204`.
"""

CHECKS = '''"""Checks of the demo component."""

import pytest

requirement = pytest.mark.requirement


@requirement("/req/demo/core/create")
def check_create(api):
    """A valid thing is created.

    More text that is not the summary.
    """


@requirement("/req/demo/core/list")
def check_list(api):
    pass
'''


def _json(path: Path, document: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")


def write(root: Path) -> Path:
    """Write the standard under ``root`` (and its checks under ``root/checks``); returns ``root``."""
    _json(root / "schemas/common/1.0/Identifiers.schema.json", IDENTIFIERS)
    _json(root / "schemas/common/1.0/Person.schema.json", PERSON)
    _json(root / "schemas/demo/1.0/Thing.schema.json", THING)
    (root / "schemas/demo/1.0/openapi.yaml").write_text(
        yaml.safe_dump(OPENAPI, sort_keys=False), encoding="utf-8"
    )
    (root / "spec/demo/1.0").mkdir(parents=True)
    (root / "spec/demo/1.0/index.md").write_text(SPEC, encoding="utf-8")
    (root / "spec/index.md").write_text(
        "# The standard\n\n## Versions\n\nMinor versions add.\n", encoding="utf-8"
    )
    owner = {"name": "Kari"}
    _json(root / "examples/demo/1.0/valid/Thing/small.json", {"id": "3f1c", "owner": owner})
    _json(root / "examples/demo/1.0/valid/Thing/tagged.json", {"id": "3f1d", "owner": owner, "tags": ["a"]})
    _json(root / "examples/demo/1.0/invalid/Thing/owner_missing.json", {"id": "3f1c"})
    (root / "checks").mkdir()
    (root / "checks/demo.py").write_text(CHECKS, encoding="utf-8")
    return root


def add_version(root: Path, version: str, change: Any = None) -> Path:
    """A copy of demo 1.0 as ``version`` (ids rewritten), changed by ``change(thing_schema)``."""
    target = root / "schemas/demo" / version
    shutil.copytree(root / "schemas/demo/1.0", target)
    for path in target.iterdir():
        path.write_text(
            path.read_text(encoding="utf-8").replace("demo/1.0/", f"demo/{version}/"), encoding="utf-8"
        )
    if change is not None:
        thing = json.loads((target / "Thing.schema.json").read_text(encoding="utf-8"))
        change(thing)
        _json(target / "Thing.schema.json", thing)
    return target
