"""Bearer-token authentication (RFC 6750) and scope checks, Maskinporten style.

A :class:`Verifier` turns a token into claims or refuses it; the rest of the
app only sees a :class:`Principal` (kommune + scopes). :func:`build_verifier`
picks the verifier the settings name, explicitly:

- :class:`PublicKeyVerifier` — RS256/ES256 JWTs checked against the
  issuer's public key (PEM) or a local JWKS file, as Maskinporten issues
  them. The algorithm comes from the *key*, never from the token, so
  ``alg: none`` and HS256-signed-with-the-public-key ("algorithm
  confusion") are refused;
- :class:`HS256Verifier` — a shared secret (tests, ``felles test
  --reference``);
- :class:`DevTokenVerifier` — one static token, only in development mode.

Every JWT must carry ``exp``, ``iss`` and ``aud`` (checked) and the API
claims ``scope`` and ``kommunenummer`` (see :func:`principal_from_claims`).
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from starlette.requests import Request

from felles.errors import UsageError
from felles.formats import is_municipality_number
from felles.reference.problems import ProblemError, ProblemType, logger
from felles.reference.settings import Settings
from felles.standard import default_catalogue

REALM = "felles"
#: Longer bearer tokens are refused unread (a Maskinporten token is ~1 KiB).
MAX_TOKEN_LENGTH = 8192
#: Smallest RSA key accepted for RS256 (RFC 7518 section 3.3).
MIN_RSA_BITS = 2048
_REQUIRED_CLAIMS = ["exp", "iss", "aud"]
#: What an asymmetric key may verify: RS256 (RSA), ES256 (EC P-256). Nothing else, ever.
SUPPORTED_ALGORITHMS = ("RS256", "ES256")
_KEY_TYPES = {"RS256": "RSA", "ES256": "EC"}
#: JWK members that only a private key has: a JWKS file with them is a leaked secret.
_PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


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
        return _decode(
            token,
            self._secret,
            "HS256",
            issuer=self.issuer,
            audience=self.audience,
            leeway_seconds=self.leeway_seconds,
        )


def _decode(
    token: str, key: Any, algorithm: str, *, issuer: str, audience: str, leeway_seconds: int
) -> dict[str, Any]:
    """Signature with exactly ``algorithm``, then ``exp``/``nbf``/``iat``, ``iss`` and ``aud``."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            audience=audience,
            issuer=issuer,
            leeway=leeway_seconds,
            options={"require": _REQUIRED_CLAIMS},
        )
    except jwt.PyJWTError as exc:
        raise InvalidTokenError(str(exc)) from None
    return claims


@dataclass(frozen=True)
class VerificationKey:
    """One public key of the token issuer and the one algorithm it verifies."""

    key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey
    algorithm: str
    kid: str | None = None


def algorithm_for(key: object) -> str:
    """RS256 for RSA (2048 bits or more), ES256 for P-256: the key decides, not the token."""
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise UsageError(f"the RSA key has {key.key_size} bits; at least {MIN_RSA_BITS} are needed")
        return "RS256"
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return "ES256"
    raise UsageError(
        f"unsupported token signing key {type(key).__name__}",
        hint="use an RSA (RS256) or EC P-256 (ES256) public key",
    )


def load_pem_key(pem: str | bytes) -> VerificationKey:
    """A public key or an X.509 certificate in PEM; a private key is refused with a hint."""
    data = pem.encode("ascii", errors="replace") if isinstance(pem, str) else pem
    if b"PRIVATE KEY" in data:
        raise UsageError(
            "the configured JWT key is a private key",
            hint="give the issuer's public key; the reference only verifies tokens",
        )
    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            key: object = x509.load_pem_x509_certificate(data).public_key()
        else:
            key = load_pem_public_key(data)
    except ValueError as exc:
        raise UsageError(f"the configured JWT public key is not a PEM public key: {exc}") from None
    algorithm = algorithm_for(key)
    assert isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey)
    return VerificationKey(key, algorithm)


def load_jwks(document: Any, *, source: str = "JWKS") -> list[VerificationKey]:
    """The signature keys of a JWKS document (RFC 7517); encryption keys are skipped."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise UsageError(f"{source}: not a JWKS document (an object with a 'keys' array)")
    keys: list[VerificationKey] = []
    for index, jwk in enumerate(document["keys"]):
        where = f"{source}: key {index}"
        if not isinstance(jwk, dict):
            raise UsageError(f"{where} is not an object")
        if _PRIVATE_JWK_MEMBERS & jwk.keys():
            raise UsageError(f"{where} holds private key material", hint="publish only public keys")
        if jwk.get("use", "sig") != "sig":
            continue
        if "alg" in jwk and jwk["alg"] not in SUPPORTED_ALGORITHMS:
            raise UsageError(
                f"{where}: alg {jwk['alg']!r} is not supported ({', '.join(SUPPORTED_ALGORITHMS)})"
            )
        if "alg" in jwk and _KEY_TYPES[jwk["alg"]] != jwk.get("kty"):
            raise UsageError(f"{where}: alg {jwk['alg']!r} does not fit its key type {jwk.get('kty')!r}")
        try:
            parsed = jwt.PyJWK(jwk)
        except jwt.PyJWTError as exc:
            raise UsageError(f"{where} is not a usable JWK: {exc}") from None
        algorithm = algorithm_for(parsed.key)
        if "alg" in jwk and jwk["alg"] != algorithm:
            raise UsageError(f"{where}: alg {jwk['alg']!r} does not fit its key type ({algorithm})")
        kid = jwk.get("kid")
        keys.append(VerificationKey(parsed.key, algorithm, kid if isinstance(kid, str) else None))
    if not keys:
        raise UsageError(f"{source}: no signature keys")
    kids = [key.kid for key in keys]
    if len(keys) > 1 and (None in kids or len(set(kids)) != len(kids)):
        raise UsageError(f"{source}: with several keys, each needs a distinct 'kid'")
    return keys


def load_jwks_file(path: str) -> list[VerificationKey]:
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read the JWKS file {path!r}: {exc}") from None
    return load_jwks(document, source=path)


class PublicKeyVerifier:
    """Asymmetric JWTs (RS256/ES256) from an issuer such as Maskinporten.

    The key is chosen by the token's ``kid`` (or is the only one), and the
    token's ``alg`` must be that key's algorithm: a token cannot pick a
    weaker algorithm, ``none``, or HMAC with the public key as the secret.
    """

    def __init__(
        self, keys: Sequence[VerificationKey], *, issuer: str, audience: str, leeway_seconds: int = 30
    ) -> None:
        if not keys:
            raise UsageError("no public keys to verify tokens with")
        self.keys = tuple(keys)
        self._by_kid = {key.kid: key for key in self.keys if key.kid is not None}
        self.issuer = issuer
        self.audience = audience
        self.leeway_seconds = leeway_seconds

    def _key_for(self, header: Mapping[str, Any]) -> VerificationKey:
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise InvalidTokenError("header 'kid' must be a string")
        if kid is not None and kid in self._by_kid:
            return self._by_kid[kid]
        if len(self.keys) == 1 and (kid is None or self.keys[0].kid is None):
            return self.keys[0]
        raise InvalidTokenError(f"no configured key with kid {kid!r}")

    def verify(self, token: str) -> Mapping[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidTokenError(str(exc)) from None
        key = self._key_for(header)
        if header.get("alg") != key.algorithm:
            raise InvalidTokenError(f"alg {header.get('alg')!r} given; this key verifies {key.algorithm}")
        return _decode(
            token,
            key.key,
            key.algorithm,
            issuer=self.issuer,
            audience=self.audience,
            leeway_seconds=self.leeway_seconds,
        )


class DevTokenVerifier:
    """Development mode: one static token stands for a fixed kommune and scopes.

    Any other token goes to the real verifier. Never enabled implicitly:
    :class:`~felles.reference.settings.Settings` refuses a dev token unless
    ``dev_mode`` is on.
    """

    def __init__(self, token: str, *, kommune: str, scopes: Iterable[str], inner: Verifier) -> None:
        self._token = token.encode("utf-8")
        self.kommune = kommune
        self.scopes = tuple(scopes)
        self.inner = inner

    def verify(self, token: str) -> Mapping[str, Any]:
        if hmac.compare_digest(token.encode("utf-8", errors="replace"), self._token):
            return {"scope": " ".join(self.scopes), "kommunenummer": self.kommune, "sub": "felles-dev-token"}
        return self.inner.verify(token)


def build_verifier(settings: Settings) -> Verifier:
    """The verifier the settings ask for (see :attr:`Settings.auth_mode`)."""
    verifier: Verifier
    if settings.auth_mode == "hs256":
        verifier = HS256Verifier(
            settings.jwt_secret,
            issuer=settings.issuer,
            audience=settings.audience,
            leeway_seconds=settings.token_leeway_seconds,
        )
    else:
        if settings.jwks_file is not None:
            keys = load_jwks_file(settings.jwks_file)
        else:
            assert settings.jwt_public_key is not None
            keys = [load_pem_key(settings.jwt_public_key)]
        verifier = PublicKeyVerifier(
            keys,
            issuer=settings.issuer,
            audience=settings.audience,
            leeway_seconds=settings.token_leeway_seconds,
        )
    if settings.dev_mode:
        assert settings.dev_token is not None
        scopes = settings.dev_scopes if settings.dev_scopes is not None else declared_scopes()
        logger.warning(
            "development mode: the static token is accepted for kommune %s with scopes %s",
            settings.dev_kommune,
            " ".join(scopes),
        )
        verifier = DevTokenVerifier(
            settings.dev_token, kommune=settings.dev_kommune, scopes=scopes, inner=verifier
        )
    return verifier


def declared_scopes() -> tuple[str, ...]:
    """Every OAuth2 scope the standard's components declare in their OpenAPI security schemes."""
    found: set[str] = set()
    for component in default_catalogue().components():
        if not component.openapi_path.exists():  # shared definitions only (common)
            continue
        schemes = component.openapi().get("components", {}).get("securitySchemes", {})
        for scheme in schemes.values():
            for flow in scheme.get("flows", {}).values():
                found.update(flow.get("scopes", {}))
    return tuple(sorted(found))


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
            if len(token) > MAX_TOKEN_LENGTH:
                raise InvalidTokenError(f"bearer token longer than {MAX_TOKEN_LENGTH} characters")
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
