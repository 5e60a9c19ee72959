"""What a certificate says: claimed and passed classes, why one was refused, how old it is.

A certificate is a signed report whose verdict is *certified* (every MUST of every
claimed class passed in a complete run, see :attr:`RunReport.certified`). SHOULD
and MAY requirements that did not pass are listed as warnings and never block it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Literal

from felles.report.model import RequirementResult, RunReport, Status

__all__ = [
    "claimed_classes",
    "newer_version",
    "not_certified_reasons",
    "passed_classes",
    "procurement_clause",
    "unpassed_musts",
]

_VERSION = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")


def claimed_classes(report: RunReport) -> list[str]:
    return [cls.name for cls in report.classes if cls.claimed]


def passed_classes(report: RunReport) -> list[str]:
    """Claimed classes every MUST of which passed."""
    return [cls.name for cls in report.classes if cls.claimed and cls.status is Status.PASSED]


def unpassed_musts(report: RunReport) -> list[RequirementResult]:
    return [
        req
        for cls in report.classes
        if cls.claimed
        for req in cls.requirements
        if req.requirement.keyword == "MUST" and req.status is not Status.PASSED
    ]


def not_certified_reasons(report: RunReport) -> list[str]:
    """Why no certificate can be issued for this report (empty when it is certified)."""
    if report.certified:
        return []
    reasons = []
    if report.info.incomplete:
        reasons.append("the run was interrupted before it finished")
    if not claimed_classes(report):
        reasons.append("the system claims no conformance class")
    missing = unpassed_musts(report)
    if missing:
        shown = ", ".join(f"{req.requirement.requirement_id} ({req.status.value})" for req in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        reasons.append(f"{len(missing)} MUST requirement(s) of claimed classes did not pass: {shown}{more}")
    return reasons


def _join(items: list[str], conjunction: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def procurement_clause(
    component: str, version: str, classes: list[str], lang: Literal["nb", "en"] = "nb"
) -> str:
    """The sentence a kommune can paste into a tender's requirements specification."""
    if lang == "nb":
        noun = "klassen" if len(classes) == 1 else "klassene"
        return (
            f"Systemet skal være sertifisert mot Felles {component}@{version}, {noun} {_join(classes, 'og')}."
        )
    noun = "class" if len(classes) == 1 else "classes"
    return (
        f"The system shall be certified against Felles {component}@{version}, {noun} {_join(classes, 'and')}."
    )


def _parse(version: str) -> tuple[int, int] | None:
    match = _VERSION.match(version)
    return (int(match.group(1)), int(match.group(2))) if match else None


def newer_version(component: str, version: str, known: Mapping[str, Iterable[str]]) -> str | None:
    """The newest version of ``component`` in ``known`` if it is newer than ``version``, else None.

    ``known`` maps a component name to the versions the standard defines
    (MAJOR.MINOR). A newer minor or major version makes a certificate outdated.
    """
    current = _parse(version)
    if current is None:
        return None
    candidates = [(parsed, text) for text in known.get(component, ()) if (parsed := _parse(text)) is not None]
    if not candidates:
        return None
    newest_parsed, newest_text = max(candidates)
    return newest_text if newest_parsed > current else None
