"""Bearer-token authentication (RFC 6750) and scope checks, Maskinporten style.

A :class:`Verifier` turns a token into claims or refuses it; the rest of the
app only sees a :class:`Principal` (kommune + scopes). Dev/test mode uses
:class:`HS256Verifier` with a shared secret; a Maskinporten deployment plugs
in a verifier for RS256/ES256 against the issuer's JWKS without touching
any route.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import jwt
from starlette.requests import Request

from felles.formats import is_municipality_number
from felles.reference.problems import ProblemError, ProblemType, logger

REALM = "felles"


class InvalidTokenError(Exception):
    """The token is malformed, forged, expired or lacks what the API needs."""


class Verifier(Protocol):
    """Checks a bearer token's signature and registered claims; returns its claims."""

    def verify(self, token: str) -> Mapping[str, Any]:
        """Claims of a valid token; raises :class:`InvalidTokenError` otherwise."""
        ...


class HS256Verifier:
    """Shared-secret JWTs (dev and test mode): signature, ``exp``, ``iss``, ``aud`` required."""

    algorithms = ("HS256",)

    def __init__(self, secret: str, *, issuer: str, audience: str, leeway_seconds: int = 30) -> None:
        self._secret = secret
        self.issuer = issuer
        self.audience = audience
        self.leeway_seconds = leeway_seconds

    def verify(self, token: str) -> Mapping[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._secret,
                algorithms=list(self.algorithms),
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_seconds,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidTokenError(str(exc)) from None
        return claims


@dataclass(frozen=True)
class Principal:
    """Who is calling: the kommune they act for and the scopes they were granted."""

    municipality: str
    scopes: frozenset[str]
    subject: str | None = None

    def has(self, scope: str) -> bool:
        return scope in self.scopes

    def has_any(self, scopes: Iterable[str]) -> bool:
        return any(scope in self.scopes for scope in scopes)


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    """The API-level checks on top of a verified token: ``scope`` and ``kommunenummer``."""
    scope = claims.get("scope")
    if not isinstance(scope, str):
        raise InvalidTokenError("claim 'scope' must be a space-separated string")
    municipality = claims.get("kommunenummer")
    if not isinstance(municipality, str) or not is_municipality_number(municipality):
        raise InvalidTokenError("claim 'kommunenummer' must be a valid kommunenummer")
    subject = claims.get("sub")
    return Principal(
        municipality=municipality,
        scopes=frozenset(scope.split()),
        subject=subject if isinstance(subject, str) else None,
    )


def _challenge(**parameters: str) -> dict[str, str]:
    rendered = [f'realm="{REALM}"'] + [f'{name}="{value}"' for name, value in parameters.items()]
    return {"WWW-Authenticate": "Bearer " + ", ".join(rendered)}


class Authenticator:
    """Turns a request's ``Authorization`` header into a :class:`Principal`, or a 401/403."""

    def __init__(self, verifier: Verifier) -> None:
        self.verifier = verifier

    def authenticate(self, request: Request) -> Principal:
        header = request.headers.get("authorization")
        if header is None:
            raise ProblemError(
                ProblemType.UNAUTHORIZED,
                "send an OAuth2 bearer token (Authorization: Bearer ...)",
                headers=_challenge(),
            )
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer":
            raise ProblemError(
                ProblemType.UNAUTHORIZED,
                "only the Bearer authentication scheme is supported",
                headers=_challenge(),
            )
        token = token.strip()
        try:
            if not token:
                raise InvalidTokenError("empty bearer token")
            return principal_from_claims(self.verifier.verify(token))
        except InvalidTokenError as exc:
            # The reason stays server-side: telling why a forged token failed helps forgers.
            logger.info("bearer token rejected: %s", exc)
            raise ProblemError(
                ProblemType.UNAUTHORIZED,
                "the bearer token is invalid or expired",
                headers=_challenge(error="invalid_token"),
            ) from None

    def require(self, request: Request, *any_of: str) -> Principal:
        """Authenticate and insist on one of ``any_of`` (else 403 insufficient_scope)."""
        principal = self.authenticate(request)
        require_scope(principal, *any_of)
        return principal


def require_scope(principal: Principal, *any_of: str) -> None:
    if not principal.has_any(any_of):
        needed = " ".join(any_of)
        raise ProblemError(
            ProblemType.FORBIDDEN,
            f"this operation needs scope {' or '.join(any_of)}",
            headers=_challenge(error="insufficient_scope", scope=needed),
        )


def mint_dev_token(
    secret: str,
    scopes: Iterable[str],
    kommunenummer: str,
    *,
    issuer: str = "felles-reference",
    audience: str = "felles",
    ttl_seconds: int = 3600,
    subject: str = "felles-dev-client",
    extra_claims: Mapping[str, Any] | None = None,
) -> str:
    """An HS256 token the dev-mode reference accepts (tests and ``felles test --reference``)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": subject,
        "iat": now,
        "exp": now + ttl_seconds,
        "scope": " ".join(scopes),
        "kommunenummer": kommunenummer,
    }
    claims.update(extra_claims or {})
    return jwt.encode(claims, secret, algorithm="HS256")
