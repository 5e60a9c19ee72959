"""``felles lint``: find drift between the spec, the schemas, the examples and the checks.

::

    from felles.tools.lint import lint
    result = lint(Path("."))          # a standard root holding spec/, schemas/, examples/
    for finding in result.findings:
        print(finding.as_text())      # path:location: rule: message

The rules and their IDs are in :data:`felles.tools.lint_rules.RULES`. Lint
reads everything from the given root (a temporary copy works exactly like
the repository) and finds the conformance checks by parsing their source,
never by importing the runner.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import felles
from felles.errors import UsageError
from felles.locations import standard_root
from felles.standard.paths import schemas_dir
from felles.tools.lint_rules import RULE_FUNCTIONS, RULES, Finding, LintContext
from felles.tools.lint_versions import check_version_steps

__all__ = ["DEFAULT_CHECKS_DIR", "RULES", "Finding", "LintResult", "lint", "render"]

#: Where the conformance checks live in the installed package.
DEFAULT_CHECKS_DIR: Final = Path(felles.__file__).resolve().parent / "runner" / "checks"

OutputFormat = Literal["text", "json"]


@dataclass(frozen=True)
class LintResult:
    """What lint found under one root (findings sorted by file, then location)."""

    root: Path
    checks_dir: Path
    findings: tuple[Finding, ...]

    @property
    def clean(self) -> bool:
        return not self.findings

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for finding in self.findings:
            counts[finding.rule] = counts.get(finding.rule, 0) + 1
        return counts


def lint(root: Path | None = None, checks_dir: Path | None = None) -> LintResult:
    """Run every rule on the standard under ``root`` (default: the installed standard)."""
    base = (root or standard_root()).resolve()
    if not base.is_dir():
        raise UsageError(f"{base} is not a directory", hint="give the folder holding spec/ and schemas/")
    if not schemas_dir(base).is_dir():
        raise UsageError(
            f"{base} is not a Felles standard root: it has no schemas/ folder",
            hint="give the folder holding spec/, schemas/ and examples/",
        )
    checks = (checks_dir or DEFAULT_CHECKS_DIR).resolve()
    if checks_dir is not None and not checks.is_dir():
        raise UsageError(f"--checks-dir {checks_dir} is not a directory")
    context = LintContext(root=base, checks_dir=checks)
    found: list[Finding] = []
    for rule in RULE_FUNCTIONS:
        found.extend(rule(context))
    found.extend(context.findings)  # files that could not be parsed, reported while loading
    found.extend(check_version_steps(context, found))  # judged only where the rest is clean
    return LintResult(base, checks, tuple(sorted(set(found), key=_order)))


def _order(finding: Finding) -> tuple[str, int, str, str, str]:
    return (finding.path, finding.line or 0, finding.pointer or "", finding.rule, finding.message)


def render(result: LintResult, output: OutputFormat = "text") -> str:
    """The findings as text (one ``path:location: rule: message`` per line) or as JSON."""
    if output == "json":
        document = {
            "root": str(result.root),
            "checks_dir": str(result.checks_dir),
            "clean": result.clean,
            "counts": result.counts(),
            "findings": [f.as_json() for f in result.findings],
        }
        return json.dumps(document, indent=2, ensure_ascii=False)
    return "\n".join(f.as_text() for f in result.findings)


def summary(result: LintResult) -> str:
    """One line for the terminal: clean, or how many findings of which rules."""
    if result.clean:
        return f"felles lint: {result.root}: clean"
    by_rule = ", ".join(f"{rule} {count}" for rule, count in sorted(result.counts().items()))
    return f"felles lint: {len(result.findings)} finding(s) in {result.root} ({by_rule})"
