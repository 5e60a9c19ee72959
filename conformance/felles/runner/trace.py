"""The run's traffic as JSON lines (``felles test --trace``): every request in full, each answer's start.

For vendors who want to see exactly what the suite sent, and for
``benchmarks/bench_throughput.py``, which replays the very same requests with a
bare client to measure the runner's overhead. Secrets are masked as in every
other artefact; each line names the role whose token was sent instead, so a
replay can send that role's token. With ``--workers`` each process writes its
own file and :func:`merge_worker_traces` joins them in time order.
"""

from __future__ import annotations

import base64
import heapq
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from felles.runner.secrets import redact, redact_headers

__all__ = [
    "TRACE_FILE",
    "TraceWriter",
    "merge_worker_traces",
    "read_trace",
    "request_body",
    "trace_file_of_process",
]

TRACE_FILE = "trace.jsonl"
#: Characters of each response body kept: enough to debug, not megabytes of PDF.
RESPONSE_CHARS = 4000
#: Role named for a request that carried a token the check made itself (a forged or expired one).
RAW_TOKEN_ROLE = "raw"


class TraceWriter:
    """Appends one line per exchange; safe to share between the threads of one process."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[str] = path.open("w", encoding="utf-8")
        self._lock = threading.Lock()

    def write(
        self,
        *,
        role: str,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes | None,
        status: int | None,
        response_headers: dict[str, str],
        content: bytes,
        elapsed_ms: float,
    ) -> None:
        record: dict[str, Any] = {
            "at": round(time.time(), 6),
            "role": role,
            "method": method,
            "url": redact(url),
            "headers": redact_headers(headers),
        }
        if body is not None:
            try:
                record["body"] = redact(body.decode("utf-8"))
            except UnicodeDecodeError:
                record["bodyBase64"] = base64.b64encode(body).decode("ascii")
        record["status"] = status
        record["responseHeaders"] = redact_headers(response_headers)
        # Masked before it is cut, so a secret straddling the cut cannot leave a prefix behind.
        record["responseBody"] = redact(content.decode("utf-8", errors="replace"))[:RESPONSE_CHARS]
        following = _next_link(content)
        if following is not None:
            record["next"] = redact(following)  # a page's link is at its end, often past the cut
        record["elapsedMs"] = elapsed_ms
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock:
            self._file.write(line)

    def close(self) -> None:
        with self._lock:
            self._file.close()


def _next_link(content: bytes) -> str | None:
    """The ``next`` member of a JSON page, which a replay needs to follow the same walk."""
    if not content.startswith(b"{") or b'"next"' not in content:
        return None
    try:
        document = json.loads(content)
    except ValueError:
        return None
    following = document.get("next") if isinstance(document, dict) else None
    return following if isinstance(following, str) else None


def trace_file_of_process(path: Path) -> Path:
    """``trace.jsonl`` in a serial run, ``trace-gw0.jsonl`` and so on in an xdist worker."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return path.with_name(f"{path.stem}-{worker}{path.suffix}") if worker else path


def merge_worker_traces(path: Path) -> None:
    """Join the workers' files into ``path`` in time order, and remove them."""
    parts = sorted(path.parent.glob(f"{path.stem}-gw*{path.suffix}"))
    if not parts:
        return
    files = [part.open(encoding="utf-8") for part in parts]
    try:
        keyed = [((json.loads(line)["at"], line) for line in file) for file in files]
        with path.open("w", encoding="utf-8") as out:
            for _, line in heapq.merge(*keyed):
                out.write(line)
    finally:
        for file in files:
            file.close()
    for part in parts:
        part.unlink()


def read_trace(path: Path) -> Iterator[dict[str, Any]]:
    """The exchanges of a trace file, in order."""
    with path.open(encoding="utf-8") as file:
        for line in file:
            if line.strip():
                yield json.loads(line)


def request_body(record: dict[str, Any]) -> bytes | None:
    """The request body exactly as sent (secrets masked), from a trace line."""
    if "bodyBase64" in record:
        return base64.b64decode(record["bodyBase64"])
    text = record.get("body")
    return None if text is None else str(text).encode("utf-8")
