"""HTTP hygiene: body limits, media types, strict JSON, problem bodies for every error."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from felles.reference import ApplicationComponent, ApplicationService, Settings
from felles.reference.components.application import Representation
from felles.reference.http import IfMatch, is_json_media_type, nesting_depth
from felles.reference.problems import ProblemError
from felles.standard import schema_uri
from felles.standard.validation import validator_for

PROBLEM = schema_uri("common", "1.0", "Problem")


def assert_problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert validator_for(PROBLEM).errors(body) == []
    assert body["status"] == status
    assert body["type"] == f"https://felles.example/problems/{slug}"
    return body


def post_raw(
    api: httpx.Client,
    headers: dict[str, str],
    content: bytes | Iterator[bytes],
    content_type: str | None = "application/json",
) -> httpx.Response:
    extra = {"Content-Type": content_type} if content_type is not None else {}
    return api.post("/applications", content=content, headers={**headers, **extra})


# --------------------------------------------------------------------------- size


def test_body_over_the_default_limit_is_413(api: httpx.Client, auth: Callable[..., dict[str, str]]) -> None:
    body = b'{"comment": "' + b"x" * (1024 * 1024) + b'"}'
    assert_problem(post_raw(api, auth(), body), 413, "payload-too-large")


def test_chunked_body_over_the_limit_is_413(
    serve_app: Callable[..., httpx.Client], settings: Settings, auth: Callable[..., dict[str, str]]
) -> None:
    api = serve_app(dataclasses.replace(settings, max_body_bytes=1000))

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit must be counted while reading
        yield b'{"comment": "'
        for _ in range(20):
            yield b"y" * 100
        yield b'"}'

    assert_problem(post_raw(api, auth(), chunks()), 413, "payload-too-large")


def test_body_at_the_limit_is_read(
    serve_app: Callable[..., httpx.Client],
    settings: Settings,
    auth: Callable[..., dict[str, str]],
    kindergarten: dict[str, Any],
) -> None:
    content = json.dumps(kindergarten).encode()
    api = serve_app(dataclasses.replace(settings, max_body_bytes=len(content)))
    assert post_raw(api, auth(), content).status_code == 201
    assert_problem(post_raw(api, auth(), content + b" "), 413, "payload-too-large")


# --------------------------------------------------------------------------- media type


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "application/xml",
        "application/x-www-form-urlencoded",
        "application/json; charset=latin-1",
        "application/jsonx",
        "application/+json",
    ],
)
def test_non_json_media_type_is_415(
    api: httpx.Client, auth: Callable[..., dict[str, str]], content_type: str | None
) -> None:
    response = post_raw(api, auth(), b"{}", content_type)
    assert_problem(response, 415, "unsupported-media-type")
    assert api.get("/applications", headers=auth()).json()["items"] == []


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON; Charset=UTF-8",
        "application/vnd.felles+json",
    ],
)
def test_json_media_types_are_accepted(
    api: httpx.Client,
    auth: Callable[..., dict[str, str]],
    kindergarten: dict[str, Any],
    content_type: str,
) -> None:
    response = post_raw(api, auth(), json.dumps(kindergarten).encode(), content_type)
    assert response.status_code == 201, response.text


# --------------------------------------------------------------------------- strict JSON


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"   ",
        b"{nope",
        b'{"type": "kindergarten-place",}',
        b"\xff\xfe{}",
        b'{"comment": "\xc3\x28"}',
        b"\xef\xbb\xbf{}",
        b'{"a": 1, "a": 2}',
        b'{"a": NaN}',
        b'{"a": Infinity}',
        b'{"a": 1e999}',
        b"[" * 65 + b"]" * 65,
        b"[" * 100_000,
        b'{"a":' * 5000 + b"1" + b"}" * 5000,
    ],
    ids=[
        "empty",
        "blank",
        "broken",
        "trailing-comma",
        "utf16",
        "bad-utf8",
        "bom",
        "duplicate-member",
        "nan",
        "infinity",
        "overflow",
        "depth-65",
        "depth-100000-unclosed",
        "depth-5000-objects",
    ],
)
def test_unacceptable_json_is_400(
    api: httpx.Client, auth: Callable[..., dict[str, str]], content: bytes
) -> None:
    assert_problem(post_raw(api, auth(), content), 400, "bad-request")


def test_depth_64_is_parsed_then_validated(api: httpx.Client, auth: Callable[..., dict[str, str]]) -> None:
    response = post_raw(api, auth(), b'{"comment": ' + b"[" * 63 + b"]" * 63 + b"}")
    assert_problem(response, 422, "validation")


def test_brackets_inside_strings_do_not_count_as_depth() -> None:
    assert nesting_depth('{"a": "[[[[{{{{\\"[[["}') == 1
    assert nesting_depth("[[1], [[2]]]") == 3


def test_transition_bodies_get_the_same_protection(
    api: httpx.Client, auth: Callable[..., dict[str, str]], create: Callable[..., httpx.Response]
) -> None:
    application_id = create().json()["id"]
    path = f"/applications/{application_id}/transitions"
    headers = auth()
    assert_problem(
        api.post(path, content=b"to=received", headers={**headers, "Content-Type": "text/plain"}),
        415,
        "unsupported-media-type",
    )
    assert_problem(
        api.post(path, content=b"{", headers={**headers, "Content-Type": "application/json"}),
        400,
        "bad-request",
    )


# --------------------------------------------------------------------------- routing errors


def test_bearer_without_token_is_401(api: httpx.Client) -> None:
    response = api.get("/applications", headers={"Authorization": "Bearer"})
    assert_problem(response, 401, "unauthorized")
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/nope",
        "/application/1.0",
        "/application/2.0/applications",
        "/application/1.0/applications/x/y",
        "/application/1.0/applications/x/transitions/z",
    ],
)
def test_unknown_routes_are_404_problems(root: httpx.Client, path: str) -> None:
    assert_problem(root.get(path, follow_redirects=True), 404, "not-found")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/applications"),
        ("DELETE", "/applications/x"),
        ("GET", "/applications/x/transitions"),
        ("POST", "/conformance"),
        ("PATCH", "/applications/x"),
    ],
)
def test_wrong_methods_are_405_problems_with_allow(api: httpx.Client, method: str, path: str) -> None:
    response = api.request(method, path)
    assert_problem(response, 405, "method-not-allowed")
    assert response.headers["allow"]


def test_405_on_the_collection_allows_get_and_post(api: httpx.Client) -> None:
    allowed = {method.strip() for method in api.put("/applications").headers["allow"].split(",")}
    assert {"GET", "POST"} <= allowed


# --------------------------------------------------------------------------- crashes


class ExplodingService(ApplicationService):
    """A bug in the service: must come out as a bare 500 problem, details only in the log."""

    def get(self, tenant: str, application_id: str) -> Representation:
        raise RuntimeError("secret internal detail: /var/lib/felles/db password=hunter2")


def test_unexpected_errors_are_500_problems_without_internals(
    serve_app: Callable[..., httpx.Client],
    auth: Callable[..., dict[str, str]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    api = serve_app(components=[ApplicationComponent(ExplodingService)])
    with caplog.at_level(logging.ERROR, logger="felles.reference"):
        response = api.get("/applications/anything", headers=auth())
    body = assert_problem(response, 500, "internal")
    for leak in ("secret", "hunter2", "RuntimeError", "Traceback", "/var/lib", "File "):
        assert leak not in response.text
    assert set(body) <= {"type", "title", "status", "detail"}
    assert any("hunter2" in (record.exc_text or "") or record.exc_info for record in caplog.records)
    assert api.get("/conformance").status_code == 200  # the server survives


# --------------------------------------------------------------------------- unit level


def test_if_match_parsing() -> None:
    assert IfMatch.parse(None) is None
    assert IfMatch.parse("*") == IfMatch(any=True, tags=frozenset())
    parsed = IfMatch.parse('"a", W/"b" ,"c"')
    assert parsed is not None
    assert parsed.tags == {'"a"', '"c"'}
    assert parsed.matches('"c"')
    assert not parsed.matches('"b"')
    for bad in ("", "a", '"a" "b"', '"a",,', "W/a"):
        with pytest.raises(ProblemError):
            IfMatch.parse(bad)


def test_media_type_rules() -> None:
    assert is_json_media_type("application/problem+json")
    assert is_json_media_type('application/json; charset="UTF-8"')
    assert not is_json_media_type("application/json; charset=iso-8859-1")
    assert not is_json_media_type("text/json")
    assert not is_json_media_type(None)
