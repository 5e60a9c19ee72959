"""Test clients shared by the tests of one component against the live reference (no tests here).

A component's tests subclass :class:`ComponentClient` (naming the component and its default
scopes) for their own operations, and start a server with only that component through
:func:`serve_component`, so they do not depend on what else the reference registers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar
from urllib.parse import urljoin

import httpx

from felles.reference import ReferenceServer, Settings, create_app
from felles.standard import schema_uri
from felles.standard.validation import validator_for

JSON_CONTENT = {"Content-Type": "application/json"}


@contextmanager
def serve_component(settings: Settings, component: Any, base: str) -> Iterator[httpx.Client]:
    """A client on ``base`` of a server with only ``component``."""
    app = create_app(settings, components=[component])
    with (
        ReferenceServer(settings, app=app) as running,
        httpx.Client(base_url=running.base_url + base) as client,
    ):
        yield client


def assert_schema_valid(component: str, name: str, instance: Any, version: str = "1.0") -> None:
    """``instance`` is valid against the schema ``name`` of ``component@version``."""
    assert validator_for(schema_uri(component, version, name)).errors(instance) == [], instance


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """A ``status`` answer whose body is a valid ``application/problem+json`` problem."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert validator_for(schema_uri("common", "1.0", "Problem")).errors(body) == []
    return body


class ComponentClient:
    """A client on one component's base path acting for one kommune (``mint`` is conftest's
    ``token``). ``scopes``/``kommune`` options of each request override the defaults."""

    component: ClassVar[str]
    default_scopes: ClassVar[tuple[str, ...]]

    def __init__(self, http: httpx.Client, mint: Callable[..., str], kommune: str) -> None:
        self.http, self.mint, self.kommune = http, mint, kommune

    def headers(self, scopes: Sequence[str] | None = None, kommune: str | None = None) -> dict[str, str]:
        granted = self.default_scopes if scopes is None else scopes
        return {"Authorization": f"Bearer {self.mint(granted, kommune or self.kommune)}"}

    def get(self, path: str, **options: Any) -> httpx.Response:
        return self.http.get(path, headers=self.headers(**options))

    def post(
        self, path: str, body: Any, *, extra: Mapping[str, str] | None = None, **options: Any
    ) -> httpx.Response:
        """POST ``body`` as JSON, with ``extra`` headers besides the token."""
        headers = self.headers(**options) | JSON_CONTENT | dict(extra or {})
        return self.http.post(path, content=json.dumps(body).encode(), headers=headers)

    def walk(self, first: str, page_schema: str, *, token: bool = True) -> list[dict[str, Any]]:
        """Every item from ``first`` on, following next links; each page valid against ``page_schema``."""
        items: list[dict[str, Any]] = []
        url: str | None = first
        while url is not None:
            response = self.get(url) if token else self.http.get(url)
            assert response.status_code == 200, response.text
            page = response.json()
            assert_schema_valid(self.component, page_schema, page)
            items.extend(page["items"])
            url = urljoin(str(response.request.url), page["next"]) if page["next"] else None
        return items
