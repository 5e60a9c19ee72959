"""Class ``security``: bearer tokens, scopes, and tenant isolation."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest

from felles.reference import Settings, mint_dev_token
from felles.reference.auth import HS256Verifier, InvalidTokenError, principal_from_claims
from felles.standard import schema_uri
from felles.standard.validation import validator_for

PROBLEM = schema_uri("common", "1.0", "Problem")
READ, WRITE, DECIDE = "application:read", "application:write", "application:decide"
MISSING_ID = "00000000-0000-4000-8000-000000000000"


def assert_problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert validator_for(PROBLEM).errors(body) == []
    assert body["type"] == f"https://felles.example/problems/{slug}"
    return body


OPERATIONS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("POST", "/applications", {}),
    ("GET", "/applications", None),
    ("GET", f"/applications/{MISSING_ID}", None),
    ("POST", f"/applications/{MISSING_ID}/transitions", {"to": "received"}),
]


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS)
def test_no_token_is_401_with_challenge(api: httpx.Client, method: str, path: str, body: Any) -> None:
    response = api.request(method, path, json=body)
    assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == 'Bearer realm="felles"'


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS)
def test_other_scheme_is_401_without_error_code(api: httpx.Client, method: str, path: str, body: Any) -> None:
    response = api.request(method, path, json=body, headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"].startswith("Bearer ")
    assert "error=" not in response.headers["www-authenticate"]


def _claims(settings: Settings, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": settings.issuer,
        "aud": settings.audience,
        "exp": now + 600,
        "iat": now,
        "scope": f"{READ} {WRITE}",
        "kommunenummer": "0301",
    }
    for name, value in overrides.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return claims


def _bad_tokens(settings: Settings) -> dict[str, str]:
    secret = settings.jwt_secret

    def sign(claims: dict[str, Any]) -> str:
        return jwt.encode(claims, secret, algorithm="HS256")

    unsigned_header = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0"
    unsigned_payload = jwt.utils.base64url_encode(jwt.api_jwt.json.dumps(_claims(settings)).encode()).decode()
    return {
        "garbage": "not.a.jwt",
        "dots": "...",
        "wrong-secret": jwt.encode(_claims(settings), "x" * 40, algorithm="HS256"),
        "alg-none": f"{unsigned_header}.{unsigned_payload}.",
        "expired": sign(_claims(settings, exp=int(time.time()) - 3600)),
        "no-exp": sign(_claims(settings, exp=None)),
        "wrong-issuer": sign(_claims(settings, iss="someone-else")),
        "no-issuer": sign(_claims(settings, iss=None)),
        "wrong-audience": sign(_claims(settings, aud="other-api")),
        "no-audience": sign(_claims(settings, aud=None)),
        "not-yet-valid": sign(_claims(settings, nbf=int(time.time()) + 3600)),
        "no-scope": sign(_claims(settings, scope=None)),
        "scope-as-list": sign(_claims(settings, scope=[READ, WRITE])),
        "no-kommune": sign(_claims(settings, kommunenummer=None)),
        "unknown-kommune": sign(_claims(settings, kommunenummer="0000")),
        "kommune-as-int": sign(_claims(settings, kommunenummer=301)),
    }


@pytest.mark.parametrize(
    "case",
    [
        "garbage",
        "dots",
        "wrong-secret",
        "alg-none",
        "expired",
        "no-exp",
        "wrong-issuer",
        "no-issuer",
        "wrong-audience",
        "no-audience",
        "not-yet-valid",
        "no-scope",
        "scope-as-list",
        "no-kommune",
        "unknown-kommune",
        "kommune-as-int",
    ],
)
def test_invalid_token_is_401_invalid_token(api: httpx.Client, settings: Settings, case: str) -> None:
    token = _bad_tokens(settings)[case]
    response = api.get("/applications", headers={"Authorization": f"Bearer {token}"})
    body = assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == 'Bearer realm="felles", error="invalid_token"'
    assert token not in response.text
    assert "Traceback" not in str(body)


def test_conformance_ignores_tokens(api: httpx.Client, root: httpx.Client) -> None:
    for client in (api, root):
        response = client.get("/conformance", headers={"Authorization": "Bearer garbage"})
        assert response.status_code == 200


# --------------------------------------------------------------------------- scopes


@pytest.mark.parametrize("path", ["/applications", f"/applications/{MISSING_ID}"])
def test_reading_without_read_scope_is_403(
    api: httpx.Client, auth: Callable[..., dict[str, str]], path: str
) -> None:
    response = api.get(path, headers=auth([WRITE, DECIDE]))
    assert_problem(response, 403, "forbidden")
    challenge = response.headers["www-authenticate"]
    assert 'error="insufficient_scope"' in challenge
    assert READ in challenge


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"{}", "application/json"),  # invalid submission
        (b"{nope", "application/json"),  # not JSON
        (b"<xml/>", "application/xml"),  # wrong media type
        (None, None),  # valid submission
    ],
)
def test_creating_without_write_scope_is_403_whatever_the_body(
    api: httpx.Client,
    auth: Callable[..., dict[str, str]],
    kindergarten: dict[str, Any],
    content: bytes | None,
    content_type: str | None,
) -> None:
    headers = auth([READ, DECIDE])
    if content is None:
        response = api.post("/applications", json=kindergarten, headers=headers)
    else:
        response = api.post(
            "/applications",
            content=content,
            headers={**headers, "Content-Type": content_type or ""},
        )
    assert_problem(response, 403, "forbidden")
    assert WRITE in response.headers["www-authenticate"]
    assert api.get("/applications", headers=auth([READ])).json()["items"] == []


@pytest.mark.parametrize("body", [{"to": "received"}, {"to": "granted"}, {}, {"to": "nonsense"}])
def test_transition_with_read_scope_only_is_403_whatever_the_body(
    api: httpx.Client,
    auth: Callable[..., dict[str, str]],
    create: Callable[..., httpx.Response],
    body: dict[str, Any],
) -> None:
    application_id = create().json()["id"]
    response = api.post(f"/applications/{application_id}/transitions", json=body, headers=auth([READ]))
    assert_problem(response, 403, "forbidden")


def _to_under_review(api: httpx.Client, headers: dict[str, str], application_id: str) -> None:
    for to in ("received", "under-review"):
        response = api.post(f"/applications/{application_id}/transitions", json={"to": to}, headers=headers)
        assert response.status_code == 200, response.text


@pytest.mark.parametrize("to", ["granted", "refused"])
def test_deciding_without_decide_scope_is_403_and_changes_nothing(
    api: httpx.Client,
    auth: Callable[..., dict[str, str]],
    create: Callable[..., httpx.Response],
    to: str,
) -> None:
    application_id = create().json()["id"]
    _to_under_review(api, auth([WRITE]), application_id)
    before = api.get(f"/applications/{application_id}", headers=auth())
    response = api.post(f"/applications/{application_id}/transitions", json={"to": to}, headers=auth([WRITE]))
    assert_problem(response, 403, "forbidden")
    assert DECIDE in response.headers["www-authenticate"]
    after = api.get(f"/applications/{application_id}", headers=auth())
    assert after.json() == before.json()
    assert after.headers["etag"] == before.headers["etag"]


def test_decide_scope_alone_can_decide_but_not_process(
    api: httpx.Client, auth: Callable[..., dict[str, str]], create: Callable[..., httpx.Response]
) -> None:
    application_id = create().json()["id"]
    response = api.post(
        f"/applications/{application_id}/transitions",
        json={"to": "received"},
        headers=auth([DECIDE]),
    )
    assert_problem(response, 403, "forbidden")
    _to_under_review(api, auth([WRITE]), application_id)
    response = api.post(
        f"/applications/{application_id}/transitions",
        json={"to": "granted"},
        headers=auth([DECIDE]),
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "granted"


def test_write_scope_covers_received_under_review_and_withdrawn(
    api: httpx.Client, auth: Callable[..., dict[str, str]], create: Callable[..., httpx.Response]
) -> None:
    application_id = create().json()["id"]
    _to_under_review(api, auth([WRITE]), application_id)
    response = api.post(
        f"/applications/{application_id}/transitions",
        json={"to": "withdrawn"},
        headers=auth([WRITE]),
    )
    assert response.status_code == 200


# --------------------------------------------------------------------------- tenants


def test_other_kommune_sees_404_and_cannot_change_anything(
    api: httpx.Client,
    auth: Callable[..., dict[str, str]],
    create: Callable[..., httpx.Response],
    other_kommune: str,
) -> None:
    created = create()
    application_id = created.json()["id"]
    intruder = auth(kommune=other_kommune)
    assert_problem(api.get(f"/applications/{application_id}", headers=intruder), 404, "not-found")
    moved = api.post(
        f"/applications/{application_id}/transitions", json={"to": "withdrawn"}, headers=intruder
    )
    assert_problem(moved, 404, "not-found")
    stale = api.post(
        f"/applications/{application_id}/transitions",
        json={"to": "withdrawn"},
        headers={**intruder, "If-Match": '"x"'},
    )
    assert_problem(stale, 404, "not-found")  # 404 before 412: existence is not revealed
    assert api.get("/applications", headers=intruder).json()["items"] == []
    unchanged = api.get(f"/applications/{application_id}", headers=auth())
    assert unchanged.json() == created.json()


def test_lists_hold_only_the_callers_kommune(
    api: httpx.Client,
    auth: Callable[..., dict[str, str]],
    create: Callable[..., httpx.Response],
    kommune: str,
    other_kommune: str,
) -> None:
    mine = {create().json()["id"] for _ in range(3)}
    theirs = {create(kommune=other_kommune).json()["id"] for _ in range(2)}
    listed = api.get("/applications", headers=auth()).json()["items"]
    assert {item["id"] for item in listed} == mine
    assert {item["municipalityNumber"] for item in listed} == {kommune}
    listed = api.get("/applications", headers=auth(kommune=other_kommune)).json()["items"]
    assert {item["id"] for item in listed} == theirs


# --------------------------------------------------------------------------- unit level


def test_mint_dev_token_round_trips_through_the_verifier() -> None:
    settings = Settings()
    token = mint_dev_token(settings.jwt_secret, [READ, DECIDE], "4601", ttl_seconds=60)
    claims = HS256Verifier(settings.jwt_secret, issuer="felles-reference", audience="felles").verify(token)
    principal = principal_from_claims(claims)
    assert principal.municipality == "4601"
    assert principal.scopes == {READ, DECIDE}
    assert 0 < claims["exp"] - time.time() <= 60


def test_verifier_rejects_other_algorithms() -> None:
    settings = Settings(jwt_secret="s" * 64)
    token = jwt.encode(_claims(settings), settings.jwt_secret, algorithm="HS512")
    verifier = HS256Verifier(settings.jwt_secret, issuer=settings.issuer, audience=settings.audience)
    with pytest.raises(InvalidTokenError):
        verifier.verify(token)


def test_custom_verifier_plugs_in(
    serve_app: Callable[..., httpx.Client], kindergarten: dict[str, Any]
) -> None:
    """The seam for Maskinporten (RS256/ES256 + JWKS): any object with verify(token) -> claims."""

    class OpaqueTokens:
        def verify(self, token: str) -> dict[str, Any]:
            if token != "let-me-in":
                raise InvalidTokenError("unknown token")
            return {"scope": f"{READ} {WRITE}", "kommunenummer": "3201"}

    api = serve_app(verifier=OpaqueTokens())
    response = api.post("/applications", json=kindergarten, headers={"Authorization": "Bearer let-me-in"})
    assert response.status_code == 201
    assert response.json()["municipalityNumber"] == "3201"
    assert api.get("/applications", headers={"Authorization": "Bearer nope"}).status_code == 401
