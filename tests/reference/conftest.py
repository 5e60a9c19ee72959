"""Fixtures for the reference implementation's own tests: a live server, tokens, payloads.

One server serves the whole session (starting and stopping uvicorn costs
~0.2 s); tests stay independent because each gets kommuner of its own
(``kommune``, ``other_kommune``) and tenants never see each other's data.
Tests that need other settings or a mutant service start their own with
``serve_app``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from felles.formats import municipality_numbers
from felles.reference import ReferenceServer, Settings, create_app, mint_dev_token

ALL_SCOPES = ("application:read", "application:write", "application:decide")

KINDERGARTEN_PLACE: dict[str, Any] = {
    "type": "kindergarten-place",
    "child": {
        "nationalIdentityNumber": "15507600333",
        "givenName": "Ola",
        "familyName": "Nordmann",
    },
    "guardians": [
        {
            "nationalIdentityNumber": "17912099997",
            "givenName": "Kari",
            "familyName": "Nordmann",
            "email": "kari@example.no",
            "phone": "+4791234567",
        }
    ],
    "homeAddress": {
        "streetName": "Storgata",
        "houseNumber": 1,
        "houseLetter": "B",
        "postalCode": "0150",
        "postalCity": "OSLO",
        "municipalityNumber": "0301",
    },
    "wantedStartDate": "2026-08-01",
    "careExtentPercent": 100,
    "preferredKindergartens": [
        {"name": "Solsikken barnehage", "organizationNumber": "974760673"},
        {"name": "Blåbærtoppen barnehage"},
    ],
    "priorityBasis": "none",
    "specialNeeds": False,
    "comment": "Ønsker plass nær jobb.\nTakk!",
}

AFTER_SCHOOL_CARE: dict[str, Any] = {
    "type": "after-school-care",
    "child": {
        "nationalIdentityNumber": "15507600333",
        "givenName": "Ola",
        "familyName": "Nordmann",
    },
    "guardians": [{"nationalIdentityNumber": "17912099997", "givenName": "Kari", "familyName": "Nordmann"}],
    "homeAddress": {"postalCode": "4630", "postalCity": "KRISTIANSAND"},
    "school": {"name": "Lund skole", "organizationNumber": "974760673"},
    "grade": 1,
    "attendanceDays": ["monday", "wednesday", "friday"],
    "startDate": "2026-08-17",
}


@pytest.fixture
def kindergarten() -> dict[str, Any]:
    """A fresh valid kindergarten-place submission (mutate freely)."""
    return copy.deepcopy(KINDERGARTEN_PLACE)


@pytest.fixture
def after_school() -> dict[str, Any]:
    """A fresh valid after-school-care submission (mutate freely)."""
    return copy.deepcopy(AFTER_SCHOOL_CARE)


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings()


# Module scope, not session: a test takes a kommune no other test on its server has
# used, and one session (one xdist worker) runs more tests than Norway has kommuner.
@pytest.fixture(scope="module")
def _kommuner() -> Iterator[str]:
    return iter(municipality_numbers())


def _fresh(kommuner: Iterator[str]) -> str:
    number = next(kommuner, None)
    if number is None:
        pytest.fail("more tests than kommuner share this module's server; split the module or use serve_app")
    return number


@pytest.fixture
def kommune(_kommuner: Iterator[str]) -> str:
    """A kommune no other test in this session has used: its data starts empty."""
    return _fresh(_kommuner)


@pytest.fixture
def other_kommune(_kommuner: Iterator[str]) -> str:
    return _fresh(_kommuner)


@pytest.fixture
def token(settings: Settings, kommune: str) -> Callable[..., str]:
    """``token(scopes=..., kommune=...)``: a dev token the server accepts (the test's kommune)."""

    def mint(scopes: tuple[str, ...] | list[str] = ALL_SCOPES, kommune: str = kommune, **kwargs: Any) -> str:
        return mint_dev_token(
            settings.jwt_secret,
            scopes,
            kommune,
            issuer=settings.issuer,
            audience=settings.audience,
            **kwargs,
        )

    return mint


@pytest.fixture
def auth(token: Callable[..., str], kommune: str) -> Callable[..., dict[str, str]]:
    """``auth(scopes=..., kommune=...)``: an Authorization header."""

    def headers(scopes: tuple[str, ...] | list[str] = ALL_SCOPES, kommune: str = kommune) -> dict[str, str]:
        return {"Authorization": f"Bearer {token(scopes, kommune)}"}

    return headers


@pytest.fixture(scope="module")
def server(settings: Settings) -> Iterator[ReferenceServer]:
    with ReferenceServer(settings) as running:
        yield running


@pytest.fixture
def serve_app(settings: Settings) -> Iterator[Callable[..., httpx.Client]]:
    """A server of its own for a custom app (mutants, other settings).

    ``serve_app(settings=..., **create_app_kwargs)`` -> client on the component root.
    Derive other settings with ``dataclasses.replace(settings, ...)`` so tokens stay valid.
    """
    started: list[tuple[ReferenceServer, httpx.Client]] = []

    def start(settings: Settings = settings, **create_kwargs: Any) -> httpx.Client:
        running = ReferenceServer(settings, app=create_app(settings, **create_kwargs)).start()
        client = httpx.Client(base_url=running.base_url + "/application/1.0", timeout=10)
        started.append((running, client))
        return client

    yield start
    for running, client in started:
        client.close()
        running.stop()


@pytest.fixture
def root(server: ReferenceServer) -> Iterator[httpx.Client]:
    """Client on the server root."""
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        yield client


@pytest.fixture
def api(server: ReferenceServer) -> Iterator[httpx.Client]:
    """Client whose base URL is the component root, as a vendor's would be."""
    with httpx.Client(base_url=server.base_url + "/application/1.0", timeout=10) as client:
        yield client


@pytest.fixture
def create(
    api: httpx.Client,
    auth: Callable[..., dict[str, str]],
    kindergarten: dict[str, Any],
    kommune: str,
) -> Callable[..., httpx.Response]:
    """``create(body=None, kommune=..., headers=...)``: POST /applications, asserting nothing."""

    def post(
        body: dict[str, Any] | None = None,
        kommune: str = kommune,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        return api.post(
            "/applications",
            json=body if body is not None else kindergarten,
            headers={**auth(kommune=kommune), **(headers or {})},
        )

    return post
