"""``--trace`` files: every request as sent, answers cut and masked, worker files merged in order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from felles.runner.secrets import register_secret
from felles.runner.trace import (
    RESPONSE_CHARS,
    TraceWriter,
    merge_worker_traces,
    read_trace,
    request_body,
    trace_file_of_process,
)


def _write(
    writer: TraceWriter, *, body: bytes | None = b"{}", content: bytes = b"{}", url: str = "http://h/x"
) -> None:
    writer.write(
        role="default",
        method="POST",
        url=url,
        headers={"authorization": "Bearer abc", "content-type": "application/json"},
        body=body,
        status=201,
        response_headers={"location": "/x/1"},
        content=content,
        elapsed_ms=1.5,
    )


def test_request_bodies_round_trip_text_and_binary(tmp_path: Path) -> None:
    path = tmp_path / "trace.jsonl"
    writer = TraceWriter(path)
    _write(writer, body='{"navn": "Åse"}'.encode())
    _write(writer, body=b"%PDF-1.7\n\xff\xfe\x00binary")
    _write(writer, body=None)
    writer.close()
    records = list(read_trace(path))
    assert [request_body(r) for r in records] == [
        '{"navn": "Åse"}'.encode(),
        b"%PDF-1.7\n\xff\xfe\x00binary",
        None,
    ]
    assert "bodyBase64" in records[1]
    assert "body" not in records[1]
    assert records[0]["headers"]["authorization"] == "[REDACTED]"
    assert records[0]["role"] == "default"
    assert records[0]["status"] == 201


def test_answers_are_cut_after_masking_and_next_links_kept(tmp_path: Path) -> None:
    secret = "trace-SECRET-0c9e55d1a7"
    register_secret(secret)
    items = [{"id": str(n), "note": "x" * 50} for n in range(200)]
    page = {"items": items, "echo": "y" * (RESPONSE_CHARS - 10) + secret, "next": "/x?after=abc&limit=5"}
    path = tmp_path / "trace.jsonl"
    writer = TraceWriter(path)
    _write(writer, content=json.dumps(page).encode())
    writer.close()
    text = path.read_text("utf-8")
    assert secret[:8] not in text  # not even a prefix of it survives the cut
    (record,) = read_trace(path)
    assert len(record["responseBody"]) == RESPONSE_CHARS
    assert record["next"] == "/x?after=abc&limit=5"


def test_worker_files_merge_in_time_order(tmp_path: Path) -> None:
    target = tmp_path / "trace.jsonl"
    lines = {"gw0": [1.0, 3.0, 5.0], "gw1": [2.0, 4.0]}
    for worker, times in lines.items():
        part = tmp_path / f"trace-{worker}.jsonl"
        part.write_text("".join(json.dumps({"at": at, "worker": worker}) + "\n" for at in times), "utf-8")
    merge_worker_traces(target)
    merged = list(read_trace(target))
    assert [r["at"] for r in merged] == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert [r["worker"] for r in merged] == ["gw0", "gw1", "gw0", "gw1", "gw0"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trace.jsonl"]


def test_each_worker_writes_its_own_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "trace.jsonl"
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    assert trace_file_of_process(path) == path
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw3")
    assert trace_file_of_process(path) == tmp_path / "trace-gw3.jsonl"
