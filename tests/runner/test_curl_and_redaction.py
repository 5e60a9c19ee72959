from __future__ import annotations

import shlex

import httpx

from felles.runner.client import ApiClient, Recorder
from felles.runner.curl import MAX_INLINE_BODY_CHARS, to_curl
from felles.runner.secrets import PLACEHOLDER, redact, redact_headers, register_secret


def test_curl_uses_placeholder_and_round_trips() -> None:
    line = to_curl(
        "POST",
        "http://127.0.0.1:8000/application/1.0/applications",
        {"Authorization": "Bearer abc.def.ghi", "Content-Type": "application/json", "Cookie": "s=1"},
        '{"name": "Åse O\'Neil"}',
    )
    assert "abc.def.ghi" not in line
    assert "s=1" not in line
    assert "$FELLES_TOKEN" in line
    parts = shlex.split(line)
    assert parts[parts.index("--data-binary") + 1] == '{"name": "Åse O\'Neil"}'


def test_registered_secrets_are_masked_everywhere() -> None:
    register_secret("s3cr3t-token-value")
    assert redact("x s3cr3t-token-value y") == f"x {PLACEHOLDER} y"
    headers = redact_headers({"Authorization": "Bearer whatever", "X-Echo": "s3cr3t-token-value"})
    assert headers == {"Authorization": PLACEHOLDER, "X-Echo": PLACEHOLDER}


def test_huge_bodies_are_named_not_inlined() -> None:
    body = '{"content": "' + "A" * (MAX_INLINE_BODY_CHARS + 10) + '"}'
    line = to_curl("POST", "http://127.0.0.1:8000/digital-mail/1.0/letters", {}, body)
    assert len(line) < 500
    assert "@request-body.json" in line
    assert f"the {len(body)}-byte body is not shown" in line
    assert "--seed" in line


def test_json_null_is_sent_as_a_body_and_no_body_as_none() -> None:
    """``post(path, None)`` must send the JSON document null, not an empty body."""
    seen: list[tuple[bytes, str | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.content, request.headers.get("content-type")))
        return httpx.Response(400, json={"title": "no"})

    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        client = ApiClient(
            "http://sut.test/x/1.0", http=http, token=None, recorder=Recorder(), max_body_bytes=4096
        )
        client.post("/things", None)
        client.post("/things")
    assert seen == [(b"null", "application/json"), (b"", None)]
