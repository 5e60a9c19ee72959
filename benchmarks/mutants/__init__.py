"""Every mutant the effectiveness benchmark runs: the per-requirement catalogue of
``tests/mutants`` (whatever components it holds at the time) plus the vendor-style
faults of this package."""

from __future__ import annotations

from tests.mutants.catalogue import MUTANTS as CATALOGUE
from tests.mutants.kit import Mutant

from benchmarks.mutants.application import APPLICATION_VENDOR_MUTANTS
from benchmarks.mutants.building_permit import BUILDING_PERMIT_VENDOR_MUTANTS
from benchmarks.mutants.case_archive import CASE_ARCHIVE_VENDOR_MUTANTS
from benchmarks.mutants.citizen_alert import CITIZEN_ALERT_VENDOR_MUTANTS
from benchmarks.mutants.digital_mail import DIGITAL_MAIL_VENDOR_MUTANTS
from benchmarks.mutants.property import PROPERTY_VENDOR_MUTANTS
from benchmarks.mutants.service_request import SERVICE_REQUEST_VENDOR_MUTANTS

VENDOR_MUTANTS: tuple[Mutant, ...] = (
    APPLICATION_VENDOR_MUTANTS
    + CASE_ARCHIVE_VENDOR_MUTANTS
    + PROPERTY_VENDOR_MUTANTS
    + BUILDING_PERMIT_VENDOR_MUTANTS
    + CITIZEN_ALERT_VENDOR_MUTANTS
    + DIGITAL_MAIL_VENDOR_MUTANTS
    + SERVICE_REQUEST_VENDOR_MUTANTS
)


def all_mutants() -> tuple[Mutant, ...]:
    """Catalogue first, then the vendor-style ones; names are unique across both."""
    every = CATALOGUE + VENDOR_MUTANTS
    names = [m.name for m in every]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValueError(f"mutant names used twice: {duplicated}")
    return every


def find(name: str) -> Mutant:
    for mutant in all_mutants():
        if mutant.name == name:
            return mutant
    raise KeyError(name)
