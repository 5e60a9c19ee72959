"""ASGI wrappers that break the reference at the HTTP layer, as a faulty gateway or
framework would: rewrite requests before the app sees them, or responses after."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


@dataclass
class Reply:
    """A buffered response that a rewrite may change."""

    method: str
    path: str
    status: int
    headers: dict[str, str]
    body: bytes
    extra: dict[str, Any] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def set_json(self, value: Any) -> None:
        self.body = json.dumps(value).encode()


RequestRewrite = Callable[[Scope], Scope]
ResponseRewrite = Callable[[Reply], None]


class Rewriter:
    """Wraps an ASGI app; ``on_request`` edits the scope, ``on_response`` the buffered reply."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        on_request: RequestRewrite | None = None,
        on_response: ResponseRewrite | None = None,
    ) -> None:
        self.app = app
        self.on_request = on_request
        self.on_response = on_response

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.on_request is not None:
            scope = self.on_request(dict(scope))
        if self.on_response is None:
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in start.get("headers", [])}
        reply = Reply(scope["method"], scope["path"], start["status"], headers, b"".join(chunks))
        self.on_response(reply)
        reply.headers["content-length"] = str(len(reply.body))
        await send(
            {
                "type": "http.response.start",
                "status": reply.status,
                "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in reply.headers.items()],
            }
        )
        await send({"type": "http.response.body", "body": reply.body})


def drop_request_header(name: str) -> RequestRewrite:
    lowered = name.lower().encode("latin-1")

    def rewrite(scope: Scope) -> Scope:
        scope["headers"] = [(k, v) for k, v in scope["headers"] if k.lower() != lowered]
        return scope

    return rewrite
