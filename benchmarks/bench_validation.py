"""Figure: validations/s of an ApplicationSubmission with the validator in use.

Validates the repository's valid examples of ApplicationSubmission in a loop
with felles.standard.validation (jsonschema Draft 2020-12 + Felles format
checkers + offline registry) and prints validations/s. Also prints the same
for plain jsonschema without format checking, as the baseline ratio (the
cost of enforcing check digits).

    python benchmarks/bench_validation.py [--seconds S]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from jsonschema import Draft202012Validator

from felles.standard import default_registry
from felles.standard.validation import validator_for

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = "https://felles.example/schemas/application/1.0/ApplicationSubmission.schema.json"


def rate(validate: object, payloads: list[object], seconds: float) -> float:
    count = 0
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    while time.perf_counter() < deadline:
        for payload in payloads:
            validate(payload)  # type: ignore[operator]
        count += len(payloads)
    return count / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    folder = ROOT / "examples" / "application" / "1.0" / "valid" / "ApplicationSubmission"
    payloads = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]
    ours = validator_for(SCHEMA)
    assert all(ours.is_valid(p) for p in payloads)
    felles_rate = rate(ours.is_valid, payloads, args.seconds)
    registry = default_registry()
    plain = Draft202012Validator(registry.contents(SCHEMA), registry=registry)
    plain_rate = rate(plain.is_valid, payloads, args.seconds)
    print(f"felles validator (formats enforced): {felles_rate:,.0f} validations/s")
    print(f"jsonschema without format checks:     {plain_rate:,.0f} validations/s")
    print(f"ratio felles/plain: {felles_rate / plain_rate:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
