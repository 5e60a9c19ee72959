"""Everything a conformance run needs to know, passed to pytest as one JSON file.

A file rather than in-memory objects so that pytest-xdist workers (possibly
on other hosts) get exactly the same configuration. It holds no secrets:
tokens are named by environment variable or command, never stored.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from felles.runner.tokens import TokenSpec

DEFAULT_EXAMPLES = 25
DEFAULT_TIMEOUT_S = 10.0
DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class RunConfig:
    base_url: str
    component: str  # name@version
    classes_to_test: tuple[str, ...]
    claimed_classes: tuple[str, ...]
    seed: int
    examples: int = DEFAULT_EXAMPLES
    shrink: int = 0  # extra examples sent to shrink a failure (0: report the first failing one)
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    municipality: str | None = None
    tokens: tuple[TokenSpec, ...] = ()
    results_path: str = ""
    requirements: tuple[str, ...] = ()  # empty: every requirement of the classes under test
    verify_tls: bool = True
    rate: float | None = None  # requests per second for the whole run (None: as fast as it answers)
    workers: int = 0  # pytest-xdist processes; each gets rate / workers
    deadline_s: float | None = None  # --deadline as given, for messages
    deadline_at: float | None = None  # wall-clock time (time.time()) when the run must stop
    trace_path: str = ""  # --trace: where every exchange is written as a JSON line ("": nowhere)
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def rate_per_process(self) -> float | None:
        return self.rate / max(self.workers, 1) if self.rate else None

    def token_spec(self, role: str) -> TokenSpec | None:
        for spec in self.tokens:
            if spec.role == role:
                return spec
        return None

    def dump(self, path: Path) -> None:
        data = asdict(self)
        path.write_text(json.dumps(data, indent=2), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> RunConfig:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        data["tokens"] = tuple(TokenSpec(**spec) for spec in data.get("tokens", []))
        data["classes_to_test"] = tuple(data["classes_to_test"])
        data["claimed_classes"] = tuple(data["claimed_classes"])
        data["requirements"] = tuple(data.get("requirements", ()))
        return cls(**data)
