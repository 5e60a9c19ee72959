from __future__ import annotations

import shlex

from felles.runner.curl import to_curl
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
