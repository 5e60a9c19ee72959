"""The coverage page: for each requirement, the conformance checks that test it.

The checks are read from their source with :mod:`felles.tools.checks_index`
(the markers ``felles lint`` reads; the runner is never imported). A MUST
without a check is shown as such; ``felles lint`` is what fails on it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from felles.docs_site.labels import Lang, label
from felles.docs_site.layout import (
    COVERAGE,
    coverage_anchor,
    link,
    requirement_anchor,
    version_page,
)
from felles.docs_site.requirements_page import level_label
from felles.standard.catalogue import Component
from felles.standard.requirements import SpecRequirement
from felles.tools.checks_index import CheckModuleError, MarkedFunction, check_modules, read_check_module
from felles.tools.markdown import badge, code, heading, prose, table


@dataclass(frozen=True)
class ChecksIndex:
    """Requirement ID → the checks that carry its marker; unreadable modules as problems."""

    by_requirement: Mapping[str, tuple[MarkedFunction, ...]]
    problems: tuple[str, ...]

    @classmethod
    def read(cls, checks_dir: Path) -> ChecksIndex:
        found: dict[str, list[MarkedFunction]] = {}
        problems = []
        for module in check_modules(checks_dir):
            try:
                functions = read_check_module(module)
            except CheckModuleError as exc:
                problems.append(str(exc))
                continue
            for function in functions:
                for requirement_id in function.requirement_ids:
                    found.setdefault(requirement_id, []).append(function)
        return cls({k: tuple(v) for k, v in found.items()}, tuple(problems))

    def counts(self) -> dict[str, int]:
        return {k: len(v) for k, v in self.by_requirement.items()}


def _check_cell(function: MarkedFunction, checks_dir: Path) -> str:
    where = f"{function.path.relative_to(checks_dir).as_posix()}:{function.line}"
    text = f"{code(function.name)} ({code(where)})"
    return f"{text}: {prose(function.summary)}" if function.summary else text


def coverage_page(
    components: Sequence[tuple[Component, Sequence[SpecRequirement]]],
    checks: ChecksIndex,
    checks_dir: Path,
    shown_dir: str,
    lang: Lang,
) -> str:
    """The page's Markdown: a summary per component version, then one table each."""
    lines = [heading(1, label(lang, "coverage")), "", label(lang, "coverage_intro", checks=shown_dir), ""]
    testable = [(c, reqs) for c, reqs in components if reqs]
    if not testable:
        return "\n".join([*lines, label(lang, "no_testable"), ""])
    summary = []
    for component, requirements in testable:
        musts = [r for r in requirements if r.keyword == "MUST"]
        covered = [r for r in musts if checks.by_requirement.get(r.requirement_id)]
        target = link(COVERAGE, COVERAGE, coverage_anchor(component.name, component.version))
        summary.append([f"[{component.key}]({target})", f"{len(covered)} / {len(musts)}"])
    lines += [table([label(lang, "component"), label(lang, "must_covered")], summary), ""]
    for component, requirements in testable:
        page = version_page(component.name, component.version, "requirements")
        lines += [heading(2, component.key, coverage_anchor(component.name, component.version)), ""]
        rows = []
        for requirement in requirements:
            found = checks.by_requirement.get(requirement.requirement_id, ())
            shown = "<br>".join(_check_cell(f, checks_dir) for f in found)
            if not found:
                shown = badge(label(lang, "no_check"), "warning" if requirement.keyword == "MUST" else "info")
            target = link(COVERAGE, page, requirement_anchor(requirement.requirement_id))
            rows.append(
                [
                    f"[{code(requirement.requirement_id)}]({target})",
                    level_label(requirement.keyword, lang),
                    shown,
                ]
            )
        headers = [label(lang, "requirement"), label(lang, "level"), label(lang, "checks")]
        lines += [table(headers, rows), ""]
    return "\n".join(lines)
