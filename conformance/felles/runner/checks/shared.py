"""Building blocks shared by every component's checks (not itself a check module).

Pagination walking, the conformance declaration, auth probes (401 with a
Bearer challenge, 403/404 refusals) and failure formatting are the same rule
in every component (common 1.0), so they are written once here and each
component's module names its own requirement.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from felles.runner.assertions import expect_json_body, expect_problem, expect_status, header
from felles.runner.client import ApiClient, Response
from felles.runner.config import RunConfig
from felles.runner.failures import ConformanceFailure, expect
from felles.standard import Component
from felles.standard.registry import schema_uri
from felles.standard.validation import SchemaValidator, validator_for

MAX_PAGES = 5000

# A well-formed JWT with a signature no issuer made.
FORGED_JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzY29wZSI6ImFwcGxpY2F0aW9uOnJlYWQgYXBwbGljYXRpb246d3JpdGUiLCJrb21tdW5lbnVtbWVyIjoiMDMwMSJ9."
    "c2lnbmF0dXJlLW1hZGUtdXAtYnktZmVsbGVz"
)


def expect_declaration(anonymous: ApiClient, component: Component, run_config: RunConfig) -> None:
    """GET /conformance lists the component version with core and every claimed class."""
    response = anonymous.get("/conformance")
    expect_status(response, 200)
    body = expect_json_body(response, validator_for(schema_uri("common", "1.0", "Conformance")))
    declared = [
        entry
        for entry in body["components"]
        if (entry["name"], entry["version"]) == (component.name, component.version)
    ]
    expect(bool(declared), f"/conformance does not list {component.key}")
    classes = {cls for entry in declared for cls in entry["classes"]}
    expect("core" in classes, f"/conformance lists {component.key} without class core")
    missing = sorted(set(run_config.claimed_classes) - classes)
    expect(
        not missing,
        f"classes claimed for this run but not declared at /conformance: {', '.join(missing)}",
    )


def walk_pages(
    api: ApiClient, path: str, page_validator: SchemaValidator, params: dict[str, str | int] | None = None
) -> list[dict[str, Any]]:
    """Every item of a cursor-paginated list, following next links to the end.

    Fails when a page holds more than ``limit`` items or a next link repeats.
    """
    params = dict(params or {})
    limit = int(params.get("limit", 20))
    items: list[dict[str, Any]] = []
    response = api.get(path, params=params)
    seen_urls: set[str] = set()
    for _ in range(MAX_PAGES):
        expect_status(response, 200)
        page = expect_json_body(response, page_validator)
        expect(
            len(page["items"]) <= limit,
            f"page {response.url} has {len(page['items'])} items, more than limit={limit}",
        )
        items.extend(page["items"])
        link = page["next"]
        if link is None:
            return items
        url = api.resolve(link, response.url)
        expect(url not in seen_urls, f"pagination loops: next link {url} was already served")
        seen_urls.add(url)
        response = api.get(url)
    raise ConformanceFailure(f"pagination did not end within {MAX_PAGES} pages")


def expect_exactly_once(ids: list[str], wanted: list[str], what: str) -> None:
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    expect(not duplicates, f"{what}: served more than once: {duplicates[:5]}")
    missing = [i for i in wanted if i not in ids]
    expect(not missing, f"{what}: never served: {missing[:5]}")


def parse_instant(value: str, name: str) -> datetime:
    try:
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ConformanceFailure(f"{name} {value!r} is not an RFC 3339 date-time") from None
    expect(stamp.tzinfo is not None, f"{name} {value!r} has no UTC offset")
    return stamp


def problem_detail(response: Response) -> str:
    """`` (detail)`` of a JSON error body, for failure messages; empty if there is none."""
    if response.media_type.endswith("json") and not response.truncated:
        try:
            body = response.json()
        except ConformanceFailure:
            return ""
        if isinstance(body, dict) and "detail" in body:
            return f" ({str(body['detail'])[:200]})"
    return ""


def json_diff(sent: Any, got: Any, path: str = "") -> str:
    """The first difference between two JSON values, as pointer: sent vs got."""
    if isinstance(sent, dict) and isinstance(got, dict):
        for key in sorted(set(sent) | set(got)):
            where = f"{path}/{key}"
            if key not in got:
                return f"{where} was dropped"
            if key not in sent:
                return f"{where} was added ({got[key]!r})"
            if sent[key] != got[key]:
                return json_diff(sent[key], got[key], where)
    if isinstance(sent, list) and isinstance(got, list) and len(sent) == len(got):
        for index, (a, b) in enumerate(zip(sent, got, strict=True)):
            if a != b:
                return json_diff(a, b, f"{path}/{index}")
    return f"{path or '/'}: sent {sent!r}, got {got!r}"


def value_at(instance: Any, pointer: str) -> Any:
    for token in pointer.split("/")[1:]:
        key = token.replace("~1", "/").replace("~0", "~")
        instance = instance[int(key)] if isinstance(instance, list) else instance[key]
    return instance


def expect_unauthenticated(probes: Iterable[tuple[str, Callable[[], Response]]]) -> None:
    """Each probe, sent without a valid token, is a 401 problem with ``WWW-Authenticate: Bearer``."""
    for what, send in probes:
        response = send()
        expect(
            response.status_code == 401,
            f"{what} without a valid token answered {response.status_code}, not 401",
        )
        expect_problem(response, 401)
        challenge = header(response, "WWW-Authenticate") or ""
        expect(challenge.lower().startswith("bearer"), f"{what}: 401 without WWW-Authenticate: Bearer")


def expect_refused(attempts: Iterable[tuple[str, Response]], status: int) -> None:
    """Each ``(what, response)`` is a ``status`` problem (403 for a scope, 404 for another kommune)."""
    for what, response in attempts:
        expect(response.status_code == status, f"{what} answered {response.status_code}, not {status}")
        expect_problem(response, status)
