"""Run Schemathesis on the same OpenAPI document and target, as the side-by-side baseline.

Schemathesis lives in a virtualenv of its own (``benchmarks/.venv-schemathesis``),
so its Hypothesis pin can never change the project's. Our OpenAPI documents
``$ref`` schemas by their canonical ``https://felles.example/...`` ids, which
no network serves: the document is bundled here (every external ``$ref``
inlined through the standard's offline registry) and written to a temp file.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from felles.standard import Component
from felles.standard.inline import inline_schema
from felles.standard.registry import SCHEMA_BASE, default_registry

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / "benchmarks" / ".venv-schemathesis"
REQUIREMENT = "schemathesis>=4"


def executable() -> Path:
    return VENV / "bin" / "schemathesis"


def ensure_installed() -> Path:
    """Create the separate virtualenv and install Schemathesis into it, once."""
    if not executable().exists():
        print(f"installing {REQUIREMENT} into {VENV} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run(
            [str(VENV / "bin" / "pip"), "install", "--quiet", REQUIREMENT], check=True, capture_output=True
        )
    return executable()


def bundled_openapi(component: Component) -> dict[str, Any]:
    """The component's OpenAPI document with every non-local ``$ref`` inlined."""
    document = component.openapi()
    own = f"{SCHEMA_BASE}{component.name}/{component.version}/openapi.yaml"
    registry = default_registry()

    def expand(node: Any) -> Any:
        if isinstance(node, list):
            return [expand(item) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#"):
            schema = inline_schema(urljoin(own, ref), registry)
            schema.pop("$schema", None)
            return {**schema, **{k: expand(v) for k, v in node.items() if k != "$ref"}}
        return {key: expand(value) for key, value in node.items()}

    bundled: dict[str, Any] = expand(document)
    return bundled


@dataclass(frozen=True)
class SchemathesisRun:
    failures: frozenset[str]  # "METHOD /path STnnn title: first line", one per distinct failure kind
    requests: int
    seconds: float  # wall time of the process, start-up and schema loading included
    running_s: float  # its engine's own running time (what its requests/s is measured over)
    exit_code: int
    output: str

    @property
    def failed(self) -> bool:
        """Schemathesis reported at least one failure (its own exit code 1)."""
        return self.exit_code == 1 or bool(self.failures)

    def new_failures(self, baseline: frozenset[str]) -> frozenset[str]:
        """Failures it did not also report against the unmodified reference."""
        return self.failures - baseline


def run(
    component: Component,
    base_url: str,
    token: str,
    *,
    examples: int,
    seed: int,
    workers: int = 1,
    phases: str = "examples,coverage,fuzzing",
    timeout_s: float = 900,
) -> SchemathesisRun:
    """``schemathesis run`` against ``base_url`` with all its checks; read its NDJSON events."""
    program = ensure_installed()
    with tempfile.TemporaryDirectory(prefix="felles-st-") as scratch:
        spec = Path(scratch) / "openapi.json"
        spec.write_text(json.dumps(bundled_openapi(component)), encoding="utf-8")
        events = Path(scratch) / "events.ndjson"
        command = [
            str(program), "run", str(spec),
            "--url", base_url,
            "--header", f"Authorization: Bearer {token}",
            "--max-examples", str(examples),
            "--seed", str(seed),
            "--workers", str(workers),
            "--phases", phases,
            "--checks", "all",
            "--generation-database", "none",
            "--no-color",
            "--report", "ndjson",
            "--report-ndjson-path", str(events),
        ]  # fmt: skip
        started = time.perf_counter()
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout_s, check=False, cwd=scratch
        )
        seconds = time.perf_counter() - started
        requests, failures, running = _read_events(events)
    return SchemathesisRun(
        frozenset(failures), requests, seconds, running or seconds, done.returncode, done.stdout + done.stderr
    )


def _read_events(events: Path) -> tuple[int, set[str], float]:
    """(requests sent, distinct failures, engine running time) from Schemathesis's NDJSON events."""
    requests, failures, running = 0, set(), 0.0
    if not events.is_file():
        return requests, failures, running
    for line in events.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        if not isinstance(event, dict):
            continue
        running = float(event.get("EngineFinished", {}).get("running_time", running))
        finished = event.get("ScenarioFinished")
        if not finished:
            continue
        recorder = finished.get("recorder", {})
        requests += len(recorder.get("interactions", {}))
        for checks in recorder.get("checks", {}).values():
            for check in checks:
                failure = (check.get("failure_info") or {}).get("failure")
                if check.get("status") == "failure" and failure:
                    # The message's first line tells e.g. which undocumented status came back.
                    detail = str(failure.get("message") or "").split("\n", 1)[0][:120]
                    failures.add(
                        f"{failure.get('operation')} {failure.get('code')} {failure.get('title')}: {detail}"
                    )
    return requests, failures, running
