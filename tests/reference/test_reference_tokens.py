"""Token verification modes: Maskinporten-style RS256/ES256, HS256 shared secret, dev token.

The mode is chosen by the settings, explicitly, and only that mode's tokens
pass: in public-key mode an HS256 token (even one signed with the server's
own secret, or with the public key as the HMAC secret) is refused, and the
token's ``alg`` can never choose a weaker check than the key's own.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from tests.reference.loadgen import BASE_SUBMISSION
from tests.reference.serve_process import pythonpath

from felles.errors import UsageError
from felles.reference import ReferenceServer, Settings, mint_dev_token
from felles.reference.auth import (
    DevTokenVerifier,
    HS256Verifier,
    InvalidTokenError,
    PublicKeyVerifier,
    build_verifier,
    load_jwks,
    load_pem_key,
)

ISSUER = "https://test.maskinporten.no/"
AUDIENCE = "https://felles.kommune.example/api"
READ, WRITE, DECIDE = "application:read", "application:write", "application:decide"


# --------------------------------------------------------------------------- keys


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def public_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def private_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def jwk(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, kid: str, **extra: Any) -> dict[str, Any]:
    algorithm = (
        jwt.algorithms.RSAAlgorithm if isinstance(key, rsa.RSAPrivateKey) else jwt.algorithms.ECAlgorithm
    )
    document: dict[str, Any] = json.loads(algorithm.to_jwk(key.public_key()))
    return {**document, "kid": kid, "use": "sig", **extra}


def claims(**overrides: Any) -> dict[str, Any]:
    """Claims as Maskinporten issues them, plus the kommune the client acts for."""
    now = int(time.time())
    document: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 120,
        "jti": "a5d4c0f2",
        "client_id": "0f1b2c3d-integration",
        "consumer": {"authority": "iso6523-actorid-upis", "ID": "0192:974760673"},
        "scope": f"{READ} {WRITE}",
        "kommunenummer": "0301",
    }
    for name, value in overrides.items():
        if value is None:
            document.pop(name, None)
        else:
            document[name] = value
    return document


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hand_signed(header: dict[str, Any], body: dict[str, Any], sign: Callable[[bytes], bytes]) -> str:
    """A JWT assembled by hand, for the forgeries a JWT library refuses to make."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(body).encode())}".encode()
    return f"{signing_input.decode()}.{b64(sign(signing_input))}"


@pytest.fixture(scope="module")
def pem_settings(settings: Settings, rsa_key: rsa.RSAPrivateKey) -> Settings:
    return dataclasses.replace(settings, jwt_public_key=public_pem(rsa_key), issuer=ISSUER, audience=AUDIENCE)


@pytest.fixture(scope="module")
def rs256_api(pem_settings: Settings) -> Iterator[httpx.Client]:
    """The reference verifying RS256 tokens against one PEM public key."""
    with (
        ReferenceServer(pem_settings) as server,
        httpx.Client(base_url=server.base_url + "/application/1.0", timeout=10) as client,
    ):
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_invalid_token(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == 'Bearer realm="felles", error="invalid_token"'


# --------------------------------------------------------------------------- RS256 with a PEM key


def test_rs256_tokens_from_the_configured_issuer_work(
    rs256_api: httpx.Client, rsa_key: rsa.RSAPrivateKey
) -> None:
    token = jwt.encode(claims(kommunenummer="4601"), private_pem(rsa_key), algorithm="RS256")
    created = rs256_api.post("/applications", json=BASE_SUBMISSION, headers=bearer(token))
    assert created.status_code == 201, created.text
    assert created.json()["municipalityNumber"] == "4601"
    read = rs256_api.get(f"/applications/{created.json()['id']}", headers=bearer(token))
    assert read.status_code == 200


def _forgeries(
    settings: Settings, rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey
) -> dict[str, str]:
    key = private_pem(rsa_key)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def rs256(**overrides: Any) -> str:
        return jwt.encode(claims(**overrides), key, algorithm="RS256")

    public = public_pem(rsa_key).encode()
    return {
        "alg-none": hand_signed({"alg": "none", "typ": "JWT"}, claims(), lambda _: b""),
        "alg-none-uppercase": hand_signed({"alg": "NONE"}, claims(), lambda _: b""),
        "hs256-with-the-public-key-as-secret": hand_signed(
            {"alg": "HS256", "typ": "JWT"},
            claims(),
            lambda data: hmac.new(public, data, hashlib.sha256).digest(),
        ),
        "hs256-with-the-servers-own-secret": mint_dev_token(
            settings.jwt_secret, [READ, WRITE], "0301", issuer=ISSUER, audience=AUDIENCE
        ),
        "rs384-same-key": jwt.encode(claims(), key, algorithm="RS384"),
        "ps256-same-key": jwt.encode(claims(), key, algorithm="PS256"),
        "es256-other-key": jwt.encode(claims(), private_pem(ec_key), algorithm="ES256"),
        "rs256-other-key": jwt.encode(claims(), private_pem(other), algorithm="RS256"),
        "signature-stripped": rs256().rsplit(".", 1)[0] + ".",
        "payload-swapped": ".".join(
            [
                rs256().split(".")[0],
                b64(json.dumps(claims(kommunenummer="4601")).encode()),
                rs256().split(".")[2],
            ]
        ),
        "expired": rs256(exp=int(time.time()) - 3600),
        "no-exp": rs256(exp=None),
        "not-yet-valid": rs256(nbf=int(time.time()) + 3600),
        "wrong-issuer": rs256(iss="https://maskinporten.no/"),
        "no-issuer": rs256(iss=None),
        "wrong-audience": rs256(aud="https://another.api/"),
        "no-audience": rs256(aud=None),
        "no-scope": rs256(scope=None),
        "no-kommunenummer": rs256(kommunenummer=None),
        "kommunenummer-unknown": rs256(kommunenummer="0000"),
        "kommunenummer-too-long": rs256(kommunenummer="03011"),
        "kommunenummer-as-number": rs256(kommunenummer=301),
        "kid-not-a-string": hand_signed(
            {"alg": "RS256", "kid": 7},
            claims(),
            lambda data: rsa_key.sign(data, padding.PKCS1v15(), hashes.SHA256()),
        ),
        "too-long": jwt.encode(claims(padding="x" * 9000), key, algorithm="RS256"),
        "garbage": "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln",
    }


FORGERIES = [
    "alg-none",
    "alg-none-uppercase",
    "hs256-with-the-public-key-as-secret",
    "hs256-with-the-servers-own-secret",
    "rs384-same-key",
    "ps256-same-key",
    "es256-other-key",
    "rs256-other-key",
    "signature-stripped",
    "payload-swapped",
    "expired",
    "no-exp",
    "not-yet-valid",
    "wrong-issuer",
    "no-issuer",
    "wrong-audience",
    "no-audience",
    "no-scope",
    "no-kommunenummer",
    "kommunenummer-unknown",
    "kommunenummer-too-long",
    "kommunenummer-as-number",
    "kid-not-a-string",
    "too-long",
    "garbage",
]


@pytest.fixture(scope="module")
def forgeries(
    rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey
) -> Callable[[Settings], dict[str, str]]:
    cache: dict[str, dict[str, str]] = {}

    def make(settings: Settings) -> dict[str, str]:
        if settings.jwt_secret not in cache:  # one set per secret: signing RSA takes its time
            cache[settings.jwt_secret] = _forgeries(settings, rsa_key, ec_key)
        return cache[settings.jwt_secret]

    return make


@pytest.mark.parametrize("case", FORGERIES)
def test_forged_or_unfit_tokens_are_401(
    rs256_api: httpx.Client,
    pem_settings: Settings,
    forgeries: Callable[[Settings], dict[str, str]],
    case: str,
) -> None:
    token = forgeries(pem_settings)[case]
    assert_invalid_token(rs256_api.get("/applications", headers=bearer(token)))
    assert_invalid_token(rs256_api.post("/applications", json=BASE_SUBMISSION, headers=bearer(token)))


def test_the_forgery_list_is_complete(
    pem_settings: Settings, forgeries: Callable[[Settings], dict[str, str]]
) -> None:
    assert sorted(forgeries(pem_settings)) == sorted(FORGERIES)


def test_the_public_key_verifier_alone_refuses_alg_confusion(rsa_key: rsa.RSAPrivateKey) -> None:
    """Below HTTP: even a verifier handed the PEM never treats it as an HMAC secret."""
    verifier = PublicKeyVerifier([load_pem_key(public_pem(rsa_key))], issuer=ISSUER, audience=AUDIENCE)
    public = public_pem(rsa_key).encode()
    forged = hand_signed(
        {"alg": "HS256"}, claims(), lambda data: hmac.new(public, data, hashlib.sha256).digest()
    )
    with pytest.raises(InvalidTokenError, match="HS256"):
        verifier.verify(forged)
    good = jwt.encode(claims(), private_pem(rsa_key), algorithm="RS256")
    assert verifier.verify(good)["kommunenummer"] == "0301"


def test_a_certificate_works_as_the_public_key(rsa_key: rsa.RSAPrivateKey) -> None:
    import datetime

    from cryptography import x509
    from cryptography.x509.oid import NameOID

    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test issuer")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(rsa_key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(rsa_key, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    assert load_pem_key(pem).algorithm == "RS256"


# --------------------------------------------------------------------------- ES256 and JWKS


@pytest.fixture
def jwks_file(tmp_path: Path, rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey) -> Path:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [jwk(rsa_key, "rsa-2025"), jwk(ec_key, "ec-2025", alg="ES256")]}))
    return path


def test_jwks_keys_are_chosen_by_kid(
    serve_app: Callable[..., httpx.Client],
    settings: Settings,
    jwks_file: Path,
    rsa_key: rsa.RSAPrivateKey,
    ec_key: ec.EllipticCurvePrivateKey,
) -> None:
    api = serve_app(dataclasses.replace(settings, jwks_file=str(jwks_file), issuer=ISSUER, audience=AUDIENCE))
    es256 = jwt.encode(claims(), private_pem(ec_key), algorithm="ES256", headers={"kid": "ec-2025"})
    rs256 = jwt.encode(claims(), private_pem(rsa_key), algorithm="RS256", headers={"kid": "rsa-2025"})
    assert api.get("/applications", headers=bearer(es256)).status_code == 200
    assert api.get("/applications", headers=bearer(rs256)).status_code == 200
    for token in (
        jwt.encode(
            claims(), private_pem(ec_key), algorithm="ES256", headers={"kid": "rsa-2025"}
        ),  # wrong key
        jwt.encode(claims(), private_pem(ec_key), algorithm="ES256", headers={"kid": "retired"}),  # unknown
        jwt.encode(claims(), private_pem(ec_key), algorithm="ES256"),  # no kid, several keys
    ):
        assert_invalid_token(api.get("/applications", headers=bearer(token)))


def test_a_single_pem_key_needs_no_kid_but_accepts_one(rsa_key: rsa.RSAPrivateKey) -> None:
    verifier = PublicKeyVerifier([load_pem_key(public_pem(rsa_key))], issuer=ISSUER, audience=AUDIENCE)
    for headers in (None, {"kid": "whatever-maskinporten-sends"}):
        token = jwt.encode(claims(), private_pem(rsa_key), algorithm="RS256", headers=headers)
        assert verifier.verify(token)["iss"] == ISSUER


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"keys": []}, "no signature keys"),
        ([], "not a JWKS document"),
        ({"keys": ["x"]}, "not an object"),
        ({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}, "private key material"),
        ({"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB", "d": "AQAB"}]}, "private key material"),
        ({"keys": [{"kty": "RSA", "n": "!!", "e": "AQAB"}]}, "not a usable JWK"),
    ],
)
def test_bad_jwks_documents_are_refused_at_start_up(document: Any, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        load_jwks(document)


def test_jwks_needs_distinct_kids_and_fitting_alg(
    rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    with pytest.raises(UsageError, match="distinct 'kid'"):
        load_jwks({"keys": [jwk(rsa_key, "same"), jwk(ec_key, "same")]})
    with pytest.raises(UsageError, match="not supported"):
        load_jwks({"keys": [jwk(rsa_key, "a", alg="HS256")]})
    with pytest.raises(UsageError, match="does not fit"):
        load_jwks({"keys": [jwk(rsa_key, "a", alg="ES256")]})
    encryption_only = load_jwks({"keys": [jwk(rsa_key, "enc", use="enc"), jwk(ec_key, "sig")]})
    assert [key.kid for key in encryption_only] == ["sig"]


def test_weak_or_private_keys_are_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(UsageError, match="at least 2048"):
        load_pem_key(public_pem(weak))
    with pytest.raises(UsageError, match="private key") as refused:
        load_pem_key(private_pem(rsa_key))
    assert "public key" in str(refused.value)
    with pytest.raises(UsageError, match="not a PEM public key"):
        load_pem_key("-----BEGIN PUBLIC KEY-----\nnonsense\n-----END PUBLIC KEY-----\n")
    with pytest.raises(UsageError, match="unsupported"):
        load_pem_key(public_pem(ec.generate_private_key(ec.SECP384R1())))


# --------------------------------------------------------------------------- choosing the mode


def test_the_mode_is_chosen_by_configuration_only(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    assert Settings().auth_mode == "hs256"
    assert isinstance(build_verifier(Settings()), HS256Verifier)
    pem = Settings(jwt_public_key=public_pem(rsa_key))
    assert pem.auth_mode == "public-key"
    assert isinstance(build_verifier(pem), PublicKeyVerifier)
    with pytest.raises(UsageError, match="not both"):
        Settings(jwt_public_key=public_pem(rsa_key), jwks_file=str(tmp_path / "jwks.json"))


def test_settings_from_env_read_the_maskinporten_variables(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey, jwks_file: Path
) -> None:
    key_file = tmp_path / "issuer.pem"
    key_file.write_text(public_pem(rsa_key))
    for value in (public_pem(rsa_key), str(key_file)):
        settings = Settings.from_env(
            {
                "FELLES_REFERENCE_JWT_PUBLIC_KEY": value,
                "FELLES_REFERENCE_ISSUER": ISSUER,
                "FELLES_REFERENCE_AUDIENCE": AUDIENCE,
            }
        )
        assert settings.auth_mode == "public-key"
        assert (settings.issuer, settings.audience) == (ISSUER, AUDIENCE)
        assert "BEGIN" not in repr(settings)
    assert Settings.from_env({"FELLES_REFERENCE_JWKS_FILE": str(jwks_file)}).auth_mode == "jwks"
    with pytest.raises(UsageError, match="both set"):
        Settings.from_env(
            {"FELLES_REFERENCE_JWKS_FILE": str(jwks_file), "FELLES_REFERENCE_JWT_SECRET": "s" * 40}
        )
    with pytest.raises(UsageError, match="neither PEM text nor a readable PEM file"):
        Settings.from_env({"FELLES_REFERENCE_JWT_PUBLIC_KEY": str(tmp_path / "missing.pem")})
    with pytest.raises(UsageError, match="cannot read the JWKS file"):
        build_verifier(Settings.from_env({"FELLES_REFERENCE_JWKS_FILE": str(tmp_path / "missing.json")}))


# --------------------------------------------------------------------------- development token

DEV_TOKEN = "dev-only-3f9a1c77b2e0"


def test_a_dev_token_is_refused_unless_dev_mode_is_switched_on() -> None:
    with pytest.raises(UsageError, match="development mode is off"):
        Settings(dev_token=DEV_TOKEN)
    with pytest.raises(UsageError, match="development mode is off"):
        Settings.from_env({"FELLES_REFERENCE_DEV_TOKEN": DEV_TOKEN})
    with pytest.raises(UsageError, match="development mode is off"):
        Settings.from_env({"FELLES_REFERENCE_DEV_TOKEN": DEV_TOKEN, "FELLES_REFERENCE_DEV_MODE": "0"})
    with pytest.raises(UsageError, match="1 or 0"):
        Settings.from_env({"FELLES_REFERENCE_DEV_TOKEN": DEV_TOKEN, "FELLES_REFERENCE_DEV_MODE": "maybe"})
    with pytest.raises(UsageError, match="at least 16"):
        Settings(dev_mode=True, dev_token="short")
    with pytest.raises(UsageError, match="at least 16"):
        Settings(dev_mode=True)
    with pytest.raises(UsageError, match="kommunenummer"):
        Settings(dev_mode=True, dev_token=DEV_TOKEN, dev_kommune="9999")
    on = Settings.from_env({"FELLES_REFERENCE_DEV_TOKEN": DEV_TOKEN, "FELLES_REFERENCE_DEV_MODE": "1"})
    assert on.dev_mode
    assert DEV_TOKEN not in repr(on)
    assert "DEVELOPMENT MODE" in on.auth_description


def test_the_dev_token_acts_for_its_kommune_and_scopes_only(
    serve_app: Callable[..., httpx.Client], settings: Settings, token: Callable[..., str]
) -> None:
    dev = dataclasses.replace(
        settings, dev_mode=True, dev_token=DEV_TOKEN, dev_kommune="1103", dev_scopes=(READ, WRITE)
    )
    api = serve_app(dev)
    created = api.post("/applications", json=BASE_SUBMISSION, headers=bearer(DEV_TOKEN))
    assert created.status_code == 201, created.text
    assert created.json()["municipalityNumber"] == "1103"
    decide = api.post(
        f"/applications/{created.json()['id']}/transitions", json={"to": "granted"}, headers=bearer(DEV_TOKEN)
    )
    assert decide.status_code == 403  # no decide scope
    assert api.get("/applications", headers=bearer(token())).status_code == 200  # real tokens still work
    for near_miss in (DEV_TOKEN[:-1], DEV_TOKEN + "x", DEV_TOKEN.upper()):
        assert_invalid_token(api.get("/applications", headers=bearer(near_miss)))


def test_by_default_the_dev_token_has_every_scope_the_standard_declares() -> None:
    claims = build_verifier(Settings(dev_mode=True, dev_token=DEV_TOKEN)).verify(DEV_TOKEN)
    scopes = set(claims["scope"].split())
    assert {READ, WRITE, DECIDE} <= scopes
    assert any(scope.startswith("case-archive:") for scope in scopes)
    assert claims["kommunenummer"] == "0301"


def test_without_dev_mode_the_dev_token_is_just_an_invalid_token(
    serve_app: Callable[..., httpx.Client], settings: Settings
) -> None:
    api = serve_app(settings)
    assert_invalid_token(api.get("/applications", headers=bearer(DEV_TOKEN)))


def test_dev_verifier_compares_in_constant_time_and_falls_through() -> None:
    class Inner:
        def verify(self, token: str) -> dict[str, Any]:
            raise InvalidTokenError("inner says no")

    verifier = DevTokenVerifier(DEV_TOKEN, kommune="0301", scopes=[READ], inner=Inner())
    assert verifier.verify(DEV_TOKEN)["kommunenummer"] == "0301"
    with pytest.raises(InvalidTokenError, match="inner says no"):
        verifier.verify("ÆØÅ-not-the-token")


# --------------------------------------------------------------------------- felles serve


def _serve_refuses(env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "felles", "serve", "--port", "0"],
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("FELLES_REFERENCE_")},
            **env,
            "PYTHONPATH": pythonpath(),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    return done.stderr


@pytest.mark.slow
def test_felles_serve_refuses_an_unsafe_or_broken_token_setup(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    assert "development mode is off" in _serve_refuses({"FELLES_REFERENCE_DEV_TOKEN": DEV_TOKEN})
    assert "private key" in _serve_refuses({"FELLES_REFERENCE_JWT_PUBLIC_KEY": private_pem(rsa_key)})
    assert "JWKS" in _serve_refuses({"FELLES_REFERENCE_JWKS_FILE": str(tmp_path / "nope.json")})
