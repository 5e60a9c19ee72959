"""``GET /conformance``: which component versions and classes this system claims (no auth).

Served at the root for all components and under each component's mount
point for that one, because a vendor's base URL for a component is
``.../{component}/{version}`` and the suite asks relative to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from felles.reference.components.base import ComponentModule
from felles.reference.http import json_response


def declaration(components: Sequence[ComponentModule]) -> dict[str, Any]:
    """Body valid against common 1.0 ``Conformance.schema.json``."""
    return {
        "components": [{"name": c.name, "version": c.version, "classes": list(c.classes)} for c in components]
    }


def conformance_route(components: Sequence[ComponentModule], *, name: str = "conformance") -> Route:
    body = declaration(components)

    async def conformance(request: Request) -> Response:
        return json_response(body)

    return Route("/conformance", conformance, methods=["GET"], name=name)
