"""Lint rule ``version-breaking``: a minor version must not break clients of the one before it.

Each component version is diffed (:mod:`felles.tools.diff`) against the
previous minor version of its major; every breaking change is a finding at
the new version's file and JSON Pointer. Unlike the other rules it runs after
them and judges only versions whose schemas and OpenAPI documents are
otherwise clean: until those findings are fixed, a diff of a broken document
would only repeat them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from felles.errors import FellesError
from felles.standard.catalogue import Component, parse_version
from felles.standard.paths import schemas_dir
from felles.tools.diff import diff_versions, load_version
from felles.tools.lint_rules import Finding, LintContext
from felles.tools.semver import Level

RULE = "version-breaking"


def minor_steps(components: Iterable[Component]) -> Iterator[tuple[Component, Component]]:
    """(previous, next) for each pair of consecutive versions of a component within one major."""
    previous: Component | None = None
    for component in sorted(components, key=lambda c: (c.name, parse_version(c.version))):
        if (
            previous is not None
            and previous.name == component.name
            and parse_version(previous.version)[0] == parse_version(component.version)[0]
        ):
            yield previous, component
        previous = component


def check_version_steps(ctx: LintContext, found: Iterable[Finding]) -> Iterator[Finding]:
    """version-breaking, for versions whose schema folders have no other ``found`` finding."""
    dirty = {"/".join(finding.path.split("/")[:3]) for finding in found}  # schemas/<name>/<version>
    for old, new in minor_steps(ctx.components):
        if {ctx.relative(old.schema_dir), ctx.relative(new.schema_dir)} & dirty:
            continue
        try:
            report = diff_versions(load_version(old.key, ctx.catalogue), load_version(new.key, ctx.catalogue))
        except FellesError:  # a document diff cannot read: the other rules say why
            continue
        for change in report.changes:
            if change.level is not Level.BREAKING:
                continue
            where, _, pointer = change.location.partition("#")
            yield ctx.finding(
                RULE,
                schemas_dir(ctx.root) / Path(where),
                f"breaking for clients of {old.key}, so {new.version} cannot be a minor version: "
                f"{change.message}",
                pointer=pointer if "#" in change.location else None,
            )
