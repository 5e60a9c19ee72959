"""A component's changelog, in Markdown, from ``felles diff`` between its consecutive versions.

::

    from felles.tools.changelog import history, render_changelog
    steps = history(Catalogue(), "application")      # 1.0 → 1.1, 1.1 → 2.0, ...
    print(render_changelog("application", ["1.0", "1.1"], steps, "en"))

The changelog is never written by hand: it is what the diff finds, grouped
breaking / non-breaking / editorial, with the semver verdict of each step
(is the version bump big enough for the changes?). The docs site renders it
at build time, in bokmål and English.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Final, Literal

from felles.errors import FellesError
from felles.standard.catalogue import Catalogue, parse_version
from felles.tools.diff import DiffReport, diff_versions, load_version
from felles.tools.diff_rules import Change
from felles.tools.markdown import anchor, code, escape, heading
from felles.tools.semver import Bump, Level, next_version

__all__ = ["Lang", "Step", "history", "render_changelog", "render_step", "verdict"]

Lang = Literal["nb", "en"]

_TEXT: Final[dict[str, dict[Lang, str]]] = {
    "title": {"nb": "Endringslogg: {name}", "en": "Changelog: {name}"},
    "generated": {
        "nb": "Generert med `felles diff` mellom hver versjon og den neste; nyeste først.",
        "en": "Generated with `felles diff` between each version and the next; newest first.",
    },
    "one_version": {
        "nb": "{name} har bare én versjon ({version}), så det er ingen endringer å vise ennå.",
        "en": "{name} has only one version ({version}), so there are no changes to show yet.",
    },
    "no_versions": {"nb": "{name} har ingen versjoner.", "en": "{name} has no versions."},
    "not_compared": {
        "nb": "Versjonene kunne ikke sammenlignes: {error}",
        "en": "The versions could not be compared: {error}",
    },
    "step": {"nb": "Versjonssteg", "en": "Version step"},
    "needs": {"nb": "Endringene krever", "en": "The changes need"},
    "ok": {"nb": "OK", "en": "OK"},
    "too_small": {"nb": "for lite steg", "en": "step too small"},
    "downgrade": {"nb": "nedgradering", "en": "downgrade"},
    "no_changes": {"nb": "Ingen endringer.", "en": "No changes."},
    "none": {"nb": "Ingen.", "en": "None."},
    "request": {"nb": "forespørsel", "en": "request"},
    "response": {"nb": "svar", "en": "response"},
    "via": {"nb": "via", "en": "via"},
}

_LEVELS: Final[dict[Level, dict[Lang, str]]] = {
    Level.BREAKING: {"nb": "Bryter bakoverkompatibilitet", "en": "Breaking"},
    Level.NON_BREAKING: {"nb": "Bakoverkompatible", "en": "Non-breaking"},
    Level.PATCH: {"nb": "Redaksjonelle (patch)", "en": "Editorial (patch)"},
}

_BUMPS: Final[dict[Bump, dict[Lang, str]]] = {
    Bump.MAJOR: {"nb": "major (ny hovedversjon)", "en": "major"},
    Bump.MINOR: {"nb": "minor (ny delversjon)", "en": "minor"},
    Bump.PATCH: {"nb": "patch", "en": "patch"},
    Bump.NONE: {"nb": "ingen ny versjon", "en": "no new version"},
    Bump.DOWNGRADE: {"nb": "nedgradering", "en": "downgrade"},
}


def _t(key: str, lang: Lang, **values: str) -> str:
    return _TEXT[key][lang].format(**values)


@dataclass(frozen=True)
class Step:
    """One step from a version to the next: the diff, or why it could not be made."""

    old: str
    new: str
    report: DiffReport | None
    error: str | None = None


def history(catalogue: Catalogue, name: str) -> list[Step]:
    """Every consecutive pair of ``name``'s versions, oldest first, each compared with ``felles diff``.

    A pair that cannot be compared (a ``$ref`` that does not resolve) becomes a
    step with an ``error`` instead of stopping the others.
    """
    versions = sorted((c.version for c in catalogue.components() if c.name == name), key=parse_version)
    steps = []
    for old, new in pairwise(versions):
        try:
            report = diff_versions(
                load_version(f"{name}@{old}", catalogue), load_version(f"{name}@{new}", catalogue)
            )
        except FellesError as exc:
            steps.append(Step(old, new, None, str(exc)))
            continue
        steps.append(Step(old, new, report))
    return steps


def verdict(report: DiffReport, lang: Lang) -> str:
    """The version bump made, the bump the changes need, and whether the first is enough."""
    actual, required = report.actual_bump, report.required_bump
    if actual is Bump.DOWNGRADE:
        judged = _t("downgrade", lang)
    elif report.version_ok:
        judged = _t("ok", lang) + " ✓"
    else:
        least = next_version(report.old_version, required)
        judged = f"{_t('too_small', lang)} ✗ (≥ {least})"
    return (
        f"{_t('step', lang)}: **{_BUMPS[actual][lang]}** · "
        f"{_t('needs', lang)}: **{_BUMPS[required][lang]}** · {judged}"
    )


def _sides(change: Change, lang: Lang) -> str:
    if not change.sides:
        return ""
    if len({level for _, level in change.sides}) > 1:
        shown = "; ".join(f"{_t(side, lang)}: {level.label}" for side, level in change.sides)
    else:
        shown = ", ".join(_t(side, lang) for side, _ in change.sides)
    return f" \\[{escape(shown)}\\]"


def _change_line(change: Change, lang: Lang) -> str:
    via = ""
    if change.via and change.via not in change.message:
        via = f" ({_t('via', lang)} {code(change.via)})"
    return f"- {code(change.location)}{_sides(change, lang)}: {escape(change.message)}{via}"


def render_step(step: Step, lang: Lang, level: int = 2) -> str:
    """One version step: its verdict, then its changes grouped breaking / non-breaking / editorial."""
    lines = [heading(level, f"{step.old} → {step.new}", anchor("v", step.old, "to", step.new)), ""]
    if step.report is None:
        lines.append(escape(_t("not_compared", lang, error=step.error or "")))
        return "\n".join(lines)
    report = step.report
    lines += [verdict(report, lang), ""]
    if not report.changes:
        lines.append(_t("no_changes", lang))
        return "\n".join(lines)
    for group in (Level.BREAKING, Level.NON_BREAKING, Level.PATCH):
        changes = [c for c in report.changes if c.level is group]
        lines += [heading(level + 1, f"{_LEVELS[group][lang]} ({len(changes)})"), ""]
        lines += [_change_line(c, lang) for c in changes] or [_t("none", lang)]
        lines.append("")
    return "\n".join(lines).rstrip()


def render_changelog(name: str, versions: list[str], steps: list[Step], lang: Lang) -> str:
    """The whole changelog page of one component, newest step first."""
    lines = [heading(1, _t("title", lang, name=name)), ""]
    if not versions:
        return "\n".join([*lines, _t("no_versions", lang, name=name), ""])
    if len(versions) == 1:
        return "\n".join([*lines, _t("one_version", lang, name=name, version=versions[0]), ""])
    lines += [_t("generated", lang), ""]
    for step in reversed(steps):
        lines += [render_step(step, lang), ""]
    return "\n".join(lines)
