"""Figure: validations/s of the validator in use vs jsonschema, and proof of equal verdicts.

Validates the repository's valid ApplicationSubmission examples in a loop with:

- felles.standard.validation as used (jsonschema-rs yes/no first, jsonschema for
  what it rejects; Felles formats enforced on both paths);
- the same validator with jsonschema alone (what runs without jsonschema-rs);
- plain jsonschema with registry look-ups and no format checks (the baseline of
  earlier figures).

Then validates every example under examples/ (valid and invalid, every
component) with both engines and prints how many verdicts differ (must be 0).

    python benchmarks/bench_validation.py [--seconds S]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from jsonschema import Draft202012Validator

from felles.standard import default_catalogue, default_registry
from felles.standard.examples import example_files, parse_example_path
from felles.standard.validation import SchemaValidator, validator_for

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = "https://felles.example/schemas/application/1.0/ApplicationSubmission.schema.json"


def rate(validate: Callable[[object], bool], payloads: list[object], seconds: float) -> float:
    count = 0
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    while time.perf_counter() < deadline:
        for payload in payloads:
            validate(payload)
        count += len(payloads)
    return count / (time.perf_counter() - started)


def verdicts_agree() -> tuple[int, list[str]]:
    """(examples compared, those where jsonschema-rs and jsonschema disagree)."""
    catalogue = default_catalogue()
    differing, count = [], 0
    for path in example_files():
        example = parse_example_path(path)
        uri = catalogue.get(f"{example.component}@{example.version}").schema_id(example.schema)
        fast, slow = validator_for(uri).verdicts(example.load())
        count += 1
        if fast is None or fast != slow:
            differing.append(f"{path}: jsonschema-rs {fast}, jsonschema {slow}")
    return count, differing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    folder = ROOT / "examples" / "application" / "1.0" / "valid" / "ApplicationSubmission"
    payloads = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]
    ours = validator_for(SCHEMA)
    assert all(ours.is_valid(p) for p in payloads)
    registry = default_registry()
    plain = Draft202012Validator(registry.contents(SCHEMA), registry=registry)
    in_use = rate(ours.is_valid, payloads, args.seconds)
    alone = rate(SchemaValidator(SCHEMA, fast=False).is_valid, payloads, args.seconds)
    plain_rate = rate(plain.is_valid, payloads, args.seconds)
    print(f"validator in use (jsonschema-rs first, formats enforced): {in_use:9,.0f} validations/s")
    print(f"same, jsonschema alone (no jsonschema-rs):                {alone:9,.0f} validations/s")
    print(f"plain jsonschema, registry look-ups, no format checks:    {plain_rate:9,.0f} validations/s")
    print(f"ratio in use / jsonschema alone: {in_use / alone:.1f}x; / plain: {in_use / plain_rate:.1f}x")
    count, differing = verdicts_agree()
    print(f"verdicts compared on every example: {count}; differing: {len(differing)}")
    for line in differing[:20]:
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
