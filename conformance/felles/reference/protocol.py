"""HTTP/1.1 protocol errors as problem details too.

A request that is not valid HTTP at all (raw non-ASCII bytes in the target,
a broken chunk size, a malformed request line) never reaches the app:
uvicorn answers it with a plain-text ``400``. The protocol classes here do
the same, but with the reference's one error shape, so that *every* 4xx a
client can get is ``application/problem+json``.

They override one method of uvicorn's protocol classes; should a future
uvicorn change what that method may touch, they fall back to uvicorn's own
answer rather than fail.
"""

from __future__ import annotations

import asyncio
import functools
import json

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from felles.reference.problems import PROBLEM_MEDIA_TYPE, ProblemType, logger

_BODY = json.dumps(
    {
        "type": ProblemType.BAD_REQUEST.uri,
        "title": ProblemType.BAD_REQUEST.title,
        "status": 400,
        "detail": "the request is not valid HTTP/1.1",
    },
    separators=(",", ":"),
).encode("ascii")


class ProblemH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, answering unparseable requests with a problem body."""

    def send_400_response(self, msg: str) -> None:
        try:
            headers = [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                (b"content-length", str(len(_BODY)).encode("ascii")),
                (b"connection", b"close"),
            ]
            for event in (
                h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
                h11.Data(data=_BODY),
                h11.EndOfMessage(),
            ):
                self.transport.write(self.conn.send(event) or b"")
            self.transport.close()
        except Exception:  # pragma: no cover - only if uvicorn's internals move
            logger.debug("falling back to uvicorn's own 400", exc_info=True)
            super().send_400_response(msg)


@functools.cache
def _httptools_protocol() -> type[asyncio.Protocol] | None:
    try:
        from uvicorn.protocols.http.httptools_impl import (  # noqa: PLC0415 - httptools is optional
            STATUS_LINE,
            HttpToolsProtocol,
        )
    except ImportError:  # httptools is optional in uvicorn
        return None

    class ProblemHttpToolsProtocol(HttpToolsProtocol):
        """uvicorn's httptools protocol, answering unparseable requests with a problem body."""

        def send_400_response(self, msg: str) -> None:
            try:
                content = [STATUS_LINE[400]]
                for name, value in self.server_state.default_headers:
                    content.extend([name, b": ", value, b"\r\n"])
                content.extend(
                    [
                        b"content-type: " + PROBLEM_MEDIA_TYPE.encode() + b"\r\n",
                        b"content-length: " + str(len(_BODY)).encode("ascii") + b"\r\n",
                        b"connection: close\r\n",
                        b"\r\n",
                        _BODY,
                    ]
                )
                self.transport.write(b"".join(content))
                self.transport.close()
            except Exception:  # pragma: no cover - only if uvicorn's internals move
                logger.debug("falling back to uvicorn's own 400", exc_info=True)
                super().send_400_response(msg)

    return ProblemHttpToolsProtocol


def problem_protocol() -> type[asyncio.Protocol]:
    """The fastest protocol class available (httptools, else h11), with problem-body 400s."""
    return _httptools_protocol() or ProblemH11Protocol
