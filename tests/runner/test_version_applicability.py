"""One check module serves every version of a component: each version runs the checks of its own
spec's requirements, and no others."""

from __future__ import annotations

from pathlib import Path

import pytest

from felles.runner.config import RunConfig
from felles.runner.session import CHECKS_DIR, RUNNER_INI, check_module
from felles.standard import default_catalogue

ADDED_IN_1_1 = {"/req/application/core/submitted-since", "/req/application/core/priority-bases"}


class _Collected:
    """Records the requirement of every check pytest keeps after collection."""

    def __init__(self) -> None:
        self.requirements: set[str] = set()

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:
            marker = item.get_closest_marker("requirement")
            self.requirements.add(str(marker.args[0]) if marker else "")


def _collect(component_key: str, tmp_path: Path) -> set[str]:
    component = default_catalogue().get(component_key)
    config_path = tmp_path / f"{component.name}-{component.version}.json"
    RunConfig("http://127.0.0.1:9", component.key, ("core",), ("core",), seed=1).dump(config_path)
    collected = _Collected()
    args = [str(check_module(component)), "-c", str(RUNNER_INI), "--rootdir", str(CHECKS_DIR)]
    args += ["-p", "felles.runner.plugin", "-p", "no:cacheprovider", "--collect-only", "-q"]
    code = pytest.main([*args, "--felles-config", str(config_path)], plugins=[collected])
    assert code == pytest.ExitCode.OK
    return collected.requirements


def _requirements(key: str) -> set[str]:
    return {r.requirement_id for r in default_catalogue().get(key).requirements}


def test_each_version_collects_exactly_the_checks_of_its_own_requirements(tmp_path: Path) -> None:
    assert _requirements("application@1.1") >= ADDED_IN_1_1
    assert not _requirements("application@1.0") & ADDED_IN_1_1
    for key in ("application@1.0", "application@1.1"):
        assert _collect(key, tmp_path) == _requirements(key), key
