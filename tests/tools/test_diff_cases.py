"""The catalogue of paired schema changes in ``diff_cases/``, each with its expected classification.

Every case is one JSON file: ``old`` and ``new`` schema, the ``expected``
level when the schema is read on the ``request`` side and on the
``response`` side (breaking, non-breaking, patch or none), and optionally
the change ``kinds`` felles diff must name. A new file is a new test.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from felles.tools.diff import diff_schemas
from felles.tools.diff_rules import SIDES, Side
from felles.tools.semver import Level

CASES_DIR = Path(__file__).parent / "diff_cases"
CASES = sorted(CASES_DIR.glob("*.json"))
LEVELS = {level.label: level for level in Level}


def _load(path: Path) -> dict[str, Any]:
    case: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    assert {"description", "old", "new", "expected"} <= set(case), f"{path.name}: incomplete case"
    assert set(case["expected"]) == set(SIDES), f"{path.name}: expected needs request and response"
    return case


def _level(case: dict[str, Any], side: Side) -> Level:
    changes = diff_schemas(case["old"], case["new"], [side])
    return max((c.level for c in changes), default=Level.NONE)


def test_the_catalogue_is_large_and_covers_every_class() -> None:
    assert len(CASES) >= 25
    seen = Counter(_load(path)["expected"][side] for path in CASES for side in SIDES)
    assert set(seen) == {"breaking", "non-breaking", "patch", "none"}, seen
    # Direction matters: some changes break only requests, others only responses.
    pairs = {tuple(_load(path)["expected"][side] for side in SIDES) for path in CASES}
    assert ("breaking", "non-breaking") in pairs
    assert ("non-breaking", "breaking") in pairs


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case_is_classified_as_expected(path: Path, side: Side) -> None:
    case = _load(path)
    changes = diff_schemas(case["old"], case["new"], [side])
    found = max((c.level for c in changes), default=Level.NONE)
    listing = "\n".join(f"  {c.level.label}: {c.kind} at {c.location}: {c.message}" for c in changes)
    assert found is LEVELS[case["expected"][side]], f"{case['description']} ({side}):\n{listing}"
    if "kinds" in case:
        assert {c.kind for c in changes} == set(case["kinds"]), listing


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_reversing_a_case_never_crashes_and_unchanged_is_none(path: Path) -> None:
    case = _load(path)
    backwards = diff_schemas(case["new"], case["old"])
    if all(case["expected"][side] == "none" for side in SIDES):
        assert backwards == []
    else:
        assert backwards, f"{path.name}: a change one way must be a change the other way"
