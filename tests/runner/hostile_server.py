"""A misbehaving HTTP server on loopback, for testing that the runner survives bad targets.

``HostileServer(mode)`` answers ``GET .../conformance`` with a valid declaration
(so the runner's probe passes) and every other request the way ``mode`` says:

============== =====================================================================
ok             404 problem+json (what check_unknown_id_is_404 wants)
invalid-json   404 problem+json whose body is cut-off JSON
html-500       500 with an HTML error page, as proxies and gateways send
text-plain     404 text/plain
empty          404 problem+json with an empty body
huge           200 application/json, a 100 MiB body (streamed)
endless        200 chunked, a small chunk every 50 ms, never ending
reset          200 with Content-Length 100000; 1000 bytes, then a TCP reset
silent         reads the request, never answers
trickle        status line, then one header byte every 200 ms, forever
garbage        answers something that is not HTTP
429            429 with Retry-After: 1 the first time per path, then like ok
503            always 503 (no Retry-After)
redirect       302 to ``redirect_to`` + the same path
echo           200 JSON echoing the request's credentials back, plus a Set-Cookie
proxy          forwards to ``upstream``; Location headers rewritten by ``rewrite``
============== =====================================================================

With ``probe_too=True`` the mode applies to ``/conformance`` as well. Every
request is recorded (``requests``) with its headers and arrival time.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import json
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import httpx

DECLARATION = json.dumps(
    {"components": [{"name": "application", "version": "1.0", "classes": ["core"]}]}
).encode()
NOT_FOUND = json.dumps({"type": "about:blank", "title": "Not Found", "status": 404}).encode()
HUGE_BYTES = 100 * 1024 * 1024
COOKIE_SECRET = "felles-cookie-SECRET-c00k13-value"
API_KEY_SECRET = "felles-apikey-SECRET-4p1k3y-value"
HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    b"<body><h1>Bad Gateway</h1><p>upstream connect error</p></body></html>"
)


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    at: float  # time.monotonic()


@dataclass
class HostileServer:
    mode: str = "ok"
    host: str = "127.0.0.1"
    tls: ssl.SSLContext | None = None
    probe_too: bool = False
    redirect_to: str = ""
    upstream: str = ""
    rewrite: Callable[[str], str] | None = None
    requests: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((self.host, 0))
        self._listener.listen(64)
        self._listener.settimeout(0.1)
        self.port = int(self._listener.getsockname()[1])
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()
        self._seen_paths: set[str] = set()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._upstream = httpx.Client(trust_env=False, timeout=30) if self.upstream else None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._listener.close()
        with self._lock:
            for conn in self._connections:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                conn.close()
        if self._upstream is not None:
            self._upstream.close()

    # ------------------------------------------------------------------ plumbing

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._connections.append(conn)
            threading.Thread(target=self._handle_connection, args=(conn,), daemon=True).start()

    def _handle_connection(self, conn: socket.socket) -> None:
        try:
            if self.tls is not None:
                conn.settimeout(5)
                conn = self.tls.wrap_socket(conn, server_side=True)
                with self._lock:
                    self._connections.append(conn)
            conn.settimeout(None)
            buffer = b""
            while not self._stop.is_set():
                try:
                    request, buffer = _read_request(conn, buffer)
                except _NotHttpError:  # e.g. a TLS ClientHello: answer as a plain HTTP server would
                    conn.sendall(
                        b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    )
                    return
                if request is None:
                    return
                seen, body = request
                self.requests.append(seen)
                if not self._respond(conn, seen, body):
                    return
        except (OSError, ssl.SSLError, ValueError):
            return
        finally:
            with contextlib.suppress(OSError):
                conn.close()

    def _respond(self, conn: socket.socket, seen: Seen, body: bytes) -> bool:
        """Answer one request; False to close the connection."""
        if seen.path.split("?")[0].endswith("/conformance") and not self.probe_too:
            _send(conn, 200, "application/json", DECLARATION)
            return True
        handler = getattr(self, "_mode_" + self.mode.replace("-", "_"))
        return bool(handler(conn, seen, body))

    # ------------------------------------------------------------------ modes

    def _mode_ok(self, conn: socket.socket, seen: Seen, body: bytes) -> bool:
        _send(conn, 404, "application/problem+json", NOT_FOUND)
        return True

    def _mode_invalid_json(self, conn: socket.socket, seen: Seen, body: bytes) -> bool:
        _send(conn, 404, "application/problem+json", NOT_FOUND[:25])
        return True

    def _mode_html_500(self, conn: socket.socket, seen: Seen, body: bytes) -> bool:
        _send(conn, 500, "text/html; charset=utf-8", HTML_PAGE)
        return True

    def _mode_text_plain(self, conn: socket.socket, seen: Seen, body: bytes) -> bool:
        _send(conn, 404, "text/plain", b"Not Found")
        return True

    def _mode_empty(self, conn: socket.socket, seen: Seen, body: bytes) -> bool:
        _send(conn, 404, "application/problem+json", b"")
        return True

    def _mode_huge(self, conn: socket.socket, seen: Seen, body: bytes) -> bool:
        head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {HUGE_BYTES}\r\n\r\n"
        conn.sendall(head.encode())
        block = b"[" + b"0," * (512 * 1024 - 1) + b"0"
        sent = 0
        while sent < HUGE_BYTES and not self._stop.is_set():
            piece = block[: HUGE_BYTES - sent]
            conn.sendall(piece)
            sent += len(piece)
        return False

    def _mode_endless(self, conn: socket.socket, seen: Seen, body: bytes) -> bool:
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        while not self._stop.wait(0.05):
            conn.sendall(b"2\r\n0,\r\n")
        return False

    def _mode_reset(self, conn: socket.socket, seen: Seen, body: bytes) -> bool:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
        conn.sendall(b"[" + b"0," * 500)
        time.sleep(0.05)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        return False

    def _mode_silent(self, conn: socket.socket, seen: Seen, body: bytes) -> bool:
        self._stop.wait()
        return False

    def _mode_trickle(self, conn: socket.socket, seen: Seen, body: bytes) -> bool:
        conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        while not self._stop.wait(0.2):
            conn.sendall(b"a")
        return False

    def _mode_garbage(self, conn: socket.socket, seen: Seen, body: bytes) -> bool:
        conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\nProtocol mismatch.\r\n")
        return False

    def _mode_429(self, conn: socket.socket, seen: Seen, body: bytes) -> bool:
        with self._lock:
            first = seen.path not in self._seen_paths
            self._seen_paths.add(seen.path)
        if first:
            problem = {"type": "about:blank", "title": "Too Many Requests", "status": 429}
            _send(conn, 429, "application/problem+json", json.dumps(problem).encode(), {"Retry-After": "1"})
            return True
        return self._mode_ok(conn, seen, body)

    def _mode_503(self, conn: socket.socket, seen: Seen, body: bytes) -> bool:
        _send(conn, 503, "text/plain", b"Service Unavailable")
        return True

    def _mode_redirect(self, conn: socket.socket, seen: Seen, body: bytes) -> bool:
        _send(conn, 302, "text/plain", b"Found", {"Location": self.redirect_to + seen.path})
        return True

    def _mode_echo(self, conn: socket.socket, seen: Seen, body: bytes) -> bool:
        echoed = {
            "authorization": seen.headers.get("authorization", ""),
            "cookie": seen.headers.get("cookie", ""),
            "note": f"your session is {COOKIE_SECRET}, your key {API_KEY_SECRET}",
        }
        headers = {
            "Set-Cookie": f"felles_session={COOKIE_SECRET}; Path=/; HttpOnly",
            "X-Api-Key": API_KEY_SECRET,
            "X-Echo-Authorization": seen.headers.get("authorization", ""),
        }
        _send(conn, 200, "application/json", json.dumps(echoed).encode(), headers)
        return True

    def _mode_proxy(self, conn: socket.socket, seen: Seen, body: bytes) -> bool:
        assert self._upstream is not None
        headers = {k: v for k, v in seen.headers.items() if k not in {"host", "content-length", "connection"}}
        answer = self._upstream.request(seen.method, self.upstream + seen.path, headers=headers, content=body)
        content = answer.content
        extra = {}
        for name in ("location", "etag", "www-authenticate"):
            if name in answer.headers:
                extra[name] = answer.headers[name]
        if self.rewrite is not None and "location" in extra:
            extra["location"] = self.rewrite(extra["location"])
        _send(conn, answer.status_code, answer.headers.get("content-type", ""), content, extra)
        return True


class _NotHttpError(Exception):
    pass


def _read_request(conn: socket.socket, buffer: bytes) -> tuple[tuple[Seen, bytes] | None, bytes]:
    while b"\r\n\r\n" not in buffer:
        chunk = conn.recv(65536)
        if not chunk:
            return None, b""
        buffer += chunk
        if not buffer[:1].isalpha():
            raise _NotHttpError
        if len(buffer) > 1024 * 1024:
            raise ValueError("request head too large")
    head, _, buffer = buffer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _version = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    while len(buffer) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return None, b""
        buffer += chunk
    body, buffer = buffer[:length], buffer[length:]
    return (Seen(method, path, headers, time.monotonic()), body), buffer


def _send(
    conn: socket.socket,
    status: int,
    content_type: str,
    body: bytes,
    headers: dict[str, str] | None = None,
) -> None:
    reason = {200: "OK", 302: "Found", 404: "Not Found", 429: "Too Many Requests", 500: "Error"}.get(
        status, "Status"
    )
    lines = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(body)}"]
    if content_type:
        lines.append(f"Content-Type: {content_type}")
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)


def self_signed_tls(directory: Path) -> ssl.SSLContext:
    """A server TLS context with a fresh self-signed certificate for 127.0.0.1."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "felles hostile test server")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .sign(key, hashes.SHA256())
    )
    cert_path = directory / "cert.pem"
    key_path = directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context
