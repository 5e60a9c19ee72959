"""Vendor-style mutants (benchmarks/mutants) of property, building-permit, citizen-alert,
digital-mail and service-request: each must fail its own requirement, without a suite error."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from benchmarks.mutants.building_permit import BUILDING_PERMIT_VENDOR_MUTANTS
from benchmarks.mutants.citizen_alert import CITIZEN_ALERT_VENDOR_MUTANTS
from benchmarks.mutants.digital_mail import DIGITAL_MAIL_VENDOR_MUTANTS
from benchmarks.mutants.property import PROPERTY_VENDOR_MUTANTS
from benchmarks.mutants.service_request import SERVICE_REQUEST_VENDOR_MUTANTS

from tests.mutants.harness import new_secret, run_suite, server_process
from tests.mutants.kit import Mutant

pytestmark = pytest.mark.slow

MUTANTS: tuple[Mutant, ...] = (
    PROPERTY_VENDOR_MUTANTS
    + BUILDING_PERMIT_VENDOR_MUTANTS
    + CITIZEN_ALERT_VENDOR_MUTANTS
    + DIGITAL_MAIL_VENDOR_MUTANTS
    + SERVICE_REQUEST_VENDOR_MUTANTS
)


def test_at_least_three_per_component() -> None:
    per_component: dict[str, int] = {}
    for mutant in MUTANTS:
        per_component[mutant.component] = per_component.get(mutant.component, 0) + 1
    assert set(per_component) == {
        "property@1.0",
        "building-permit@1.0",
        "citizen-alert@1.0",
        "digital-mail@1.0",
        "service-request@1.0",
    }
    assert min(per_component.values()) >= 3, per_component


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_suite_kills_vendor_mutant_on_its_requirement(mutant: Mutant, tmp_path: Path) -> None:
    secret = new_secret()
    classes = sorted({"core", mutant.kills.split("/")[3]})
    command = [sys.executable, "-m", "benchmarks.mutants.serve", mutant.name]
    with server_process(command, secret) as root:
        run = run_suite(
            f"{root}/{mutant.component.replace('@', '/')}",
            tmp_path,
            secret=secret,
            component=mutant.component,
            classes=classes,
            extra_args=["--requirement", mutant.kills],
        )
    run.assert_killed(mutant.name, mutant.fault, mutant.kills)
