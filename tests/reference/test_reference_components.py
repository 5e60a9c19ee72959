"""Plug-in structure: components mount by name/version, services are swappable (mutants)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from felles.errors import UsageError
from felles.reference import ApplicationComponent, ApplicationService, Settings, create_app
from felles.reference.components import AppContext, default_components
from felles.reference.components.application import STATUSES
from felles.reference.migrations import Migration, statements


class LaxLifecycle(ApplicationService):
    """Mutant: every transition is allowed (breaks /req/application/lifecycle/forbidden)."""

    transitions: ClassVar[Mapping[str, frozenset[str]]] = {
        s: frozenset(STATUSES) - {"submitted"} for s in STATUSES
    }


def test_a_mutant_service_is_served_through_dependency_injection(
    serve_app: Callable[..., httpx.Client],
    auth: Callable[..., dict[str, str]],
    kindergarten: dict[str, Any],
) -> None:
    api = serve_app(components=[ApplicationComponent(LaxLifecycle)])
    application_id = api.post("/applications", json=kindergarten, headers=auth()).json()["id"]
    response = api.post(f"/applications/{application_id}/transitions", json={"to": "granted"}, headers=auth())
    assert response.status_code == 200  # the real service answers 409 here
    again = api.post(f"/applications/{application_id}/transitions", json={"to": "refused"}, headers=auth())
    assert again.status_code == 200


def test_claimed_classes_can_be_narrowed(serve_app: Callable[..., httpx.Client]) -> None:
    api = serve_app(components=[ApplicationComponent(classes=["core"])])
    assert api.get("/conformance").json() == {
        "components": [{"name": "application", "version": "1.0", "classes": ["core"]}]
    }


class EchoComponent:
    """A second component version, as a future case-archive@1.0 module would be."""

    name = "echo"
    version = "0.1"
    classes: Sequence[str] = ("core",)
    migrations: Sequence[Migration] = (Migration(1, "echo", statements("CREATE TABLE echo (x TEXT)")),)

    def routes(self, context: AppContext) -> Sequence[BaseRoute]:
        async def ping(request: Request) -> Response:
            principal = context.authenticator.require(request, "echo:read")
            return JSONResponse({"kommune": principal.municipality})

        return [Route("/ping", ping, methods=["GET"])]


def test_components_plug_in_side_by_side(
    serve_app: Callable[..., httpx.Client], auth: Callable[..., dict[str, str]], kommune: str
) -> None:
    api = serve_app(components=[*default_components(), EchoComponent()])
    root = str(api.base_url).rstrip("/").removesuffix("/application/1.0")
    declared = httpx.get(root + "/conformance").json()["components"]
    assert [(c["name"], c["version"]) for c in declared] == [
        *((c.name, c.version) for c in default_components()),
        ("echo", "0.1"),
    ]
    assert httpx.get(root + "/echo/0.1/conformance").json()["components"] == [
        {"name": "echo", "version": "0.1", "classes": ["core"]}
    ]
    assert httpx.get(root + "/echo/0.1/ping", headers=auth(["echo:read"])).json() == {"kommune": kommune}
    assert httpx.get(root + "/echo/0.1/ping", headers=auth(["application:read"])).status_code == 403


def test_registering_a_component_version_twice_is_refused() -> None:
    with pytest.raises(UsageError, match="twice"):
        create_app(Settings(), components=[ApplicationComponent(), ApplicationComponent(LaxLifecycle)])
